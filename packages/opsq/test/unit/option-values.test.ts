import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { computeBackoff } from "../../src/backoff.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { ActorDefinitionError, SkipMessage } from "../../src/errors.js";
import { AgeLimit } from "../../src/middleware/age-limit.js";
import { defaultMiddleware } from "../../src/middleware/defaults.js";
import { Retries } from "../../src/middleware/retries.js";
import { TimeLimit } from "../../src/middleware/time-limit.js";
import { quietLogger, sleep, workerPool } from "./helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

describe("computeBackoff with bad bounds", () => {
  it.each([
    [Number.NaN, 1000, 0],
    [-5, 1000, 0],
    [Number.NaN, Number.NaN, 3],
    [100, Number.NaN, Number.NaN],
    [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 40],
  ])("min %s, max %s, n %s: never NaN, never below 0", (min, max, n) => {
    const delay = computeBackoff(n, { minBackoffMs: min, maxBackoffMs: max, random: () => 0.5 });
    expect(Number.isSafeInteger(delay)).toBe(true);
    expect(delay).toBeGreaterThanOrEqual(0);
  });
});

describe("option values are checked where they are set", () => {
  it.each([
    ["timeLimitMs", Number.POSITIVE_INFINITY],
    ["timeLimitMs", 0],
    ["timeLimitMs", -5],
    ["timeLimitMs", "x"],
    ["maxRetries", "abc"],
    ["minBackoffMs", Number.NaN],
    ["maxAgeMs", -1],
  ])("an actor defined with %s = %j is refused in one line", (name, value) => {
    const broker = new StubBroker({ logger: quietLogger() });
    const define = () => defineActor("job", () => {}, { broker, [name]: value } as never);
    expect(define).toThrow(ActorDefinitionError);
    expect(define).toThrow(new RegExp(`^actor "job": ${name} must be .*, got `));
  });

  it.each([
    () => new TimeLimit({ timeLimitMs: Number.POSITIVE_INFINITY }),
    () => new TimeLimit({ timeLimitMs: 0 }),
    () => new Retries({ maxRetries: Number.NaN }),
    () => new Retries({ minBackoffMs: -1 }),
    () => new AgeLimit({ maxAgeMs: Number.NaN }),
  ])("a middleware default out of range is refused (%#)", (build) => {
    expect(build).toThrow(RangeError);
  });

  it("a per-message option out of range is refused at send, in one line", () => {
    const broker = new StubBroker({ logger: quietLogger() });
    const job = defineActor("job", () => {}, { broker });
    expect(() => job.messageWithOptions({ timeLimitMs: 0.5 })).toThrow(/^message option timeLimitMs must be/);
  });
});

describe("TimeLimit with limits longer than a Node timer holds", () => {
  it("does not abort at once an attempt whose limit is over 2^31 - 1 ms", async () => {
    // Given an actor with a limit of 2^31 ms (Node's timers turn it into 1 ms)
    const broker = new StubBroker({ middleware: [new TimeLimit()], logger: quietLogger() });
    const outcomes: string[] = [];
    const job = defineActor(
      "job",
      async (_n: number) => {
        await sleep(50);
        outcomes.push("done");
      },
      { broker, timeLimitMs: 2 ** 31 },
    );
    const worker = await pool.start(broker);

    // When it runs for 50 ms
    await job.send(1);
    await broker.join("default", { timeoutMs: 5_000 });
    await worker.join();

    // Then I expect it to finish, not aborted
    expect(outcomes).toEqual(["done"]);
    expect(worker.stats).toMatchObject({ acked: 1, nacked: 0 });
  });
});

describe("AgeLimit and a message_timestamp in the future", () => {
  it("dead-letters a message with an age limit whose timestamp is beyond the clock skew allowance", async () => {
    // Given a worker with the default middleware and a message created "next year"
    const broker = new StubBroker({ middleware: defaultMiddleware(), logger: quietLogger() });
    const ran: unknown[] = [];
    defineActor("job", () => void ran.push(1), { broker, maxAgeMs: 1_000 });
    const worker = await pool.start(broker);

    // When it arrives
    broker.publishRaw(
      "default",
      JSON.stringify({
        queue_name: "default",
        actor_name: "job",
        args: [],
        kwargs: {},
        options: {},
        message_id: "m1",
        message_timestamp: Date.now() + 365 * 86_400_000,
      }),
    );
    await broker.join("default", { timeoutMs: 5_000 });
    await worker.join();

    // Then I expect it dead-lettered with the reason, not run
    expect(ran).toEqual([]);
    const reason = broker.deadLetters("default")[0]?.reason;
    expect(reason).toBeInstanceOf(SkipMessage);
    expect(String(reason)).toMatch(/in the future/);
  });

  it("runs a message whose timestamp is a little ahead (clock skew)", async () => {
    const broker = new StubBroker({ middleware: defaultMiddleware(), logger: quietLogger() });
    const ran: unknown[] = [];
    const job = defineActor("job", () => void ran.push(1), { broker, maxAgeMs: 1_000 });
    await pool.start(broker);
    await broker.enqueue(job.message().copy({ messageTimestamp: Date.now() + 10_000 }));
    await broker.join("default", { timeoutMs: 5_000 });
    expect(ran).toEqual([1]);
  });
});
