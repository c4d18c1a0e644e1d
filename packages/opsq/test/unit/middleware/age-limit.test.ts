import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { SkipMessage } from "../../../src/errors.js";
import { AgeLimit } from "../../../src/middleware/age-limit.js";
import { Retries } from "../../../src/middleware/retries.js";
import { quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function publishAged(
  broker: StubBroker,
  actorName: string,
  ageMs: number,
  options: Record<string, unknown> = {},
) {
  broker.publishRaw(
    "default",
    JSON.stringify({
      queue_name: "default",
      actor_name: actorName,
      args: [],
      kwargs: {},
      options,
      message_id: "3f21489f-b0f9-4062-aeb4-c2b1c9371b32",
      message_timestamp: Date.now() - ageMs,
    }),
  );
}

describe("AgeLimit", () => {
  it("dead-letters a message older than maxAgeMs without running it", async () => {
    // Given an actor with a 1 s age limit, and Retries (which must not retry it)
    const broker = new StubBroker({ middleware: [new AgeLimit(), new Retries()], logger: quietLogger() });
    const ran: string[] = [];
    defineActor("fresh_only", () => void ran.push("ran"), { broker, maxAgeMs: 1000 });
    const worker = await pool.start(broker);

    // When a 10 s old message and a new one arrive
    publishAged(broker, "fresh_only", 10_000);
    publishAged(broker, "fresh_only", 0);
    await broker.join("default");
    await worker.join();

    // Then I expect the old one dead-lettered unrun, with the reason, and the new one run
    expect(ran).toEqual(["ran"]);
    const [dead, ...rest] = broker.deadLetters("default");
    expect(rest).toEqual([]);
    expect(dead!.reason).toBeInstanceOf(SkipMessage);
    expect(dead!.reason!.message).toMatch(/over its age limit of 1000 ms/);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 0, delayed: 0, deadLettered: 1 });
  });

  it("takes max_age from the message, then the actor, then the default", async () => {
    // Given a default of 100 s, an actor without a limit and one with 100 s
    const broker = new StubBroker({
      middleware: [new AgeLimit({ maxAgeMs: 100_000 })],
      logger: quietLogger(),
    });
    const ran: string[] = [];
    defineActor("a", () => void ran.push("a"), { broker });
    defineActor("b", () => void ran.push("b"), { broker, maxAgeMs: 100_000 });
    const worker = await pool.start(broker);

    // When 10 s old messages arrive: one with max_age 1 s, ones relying on the actor and the default
    publishAged(broker, "a", 10_000, { max_age: 1000 });
    publishAged(broker, "b", 10_000, { max_age: 1000 });
    publishAged(broker, "a", 10_000);
    publishAged(broker, "b", 10_000);
    await broker.join("default");
    await worker.join();

    // Then I expect the two with a message limit dead-lettered, and the others run
    expect(ran.sort()).toEqual(["a", "b"]);
    expect(broker.deadLetters("default")).toHaveLength(2);
  });

  it("sets no limit by default", async () => {
    const broker = new StubBroker({ middleware: [new AgeLimit()], logger: quietLogger() });
    const ran: string[] = [];
    defineActor("a", () => void ran.push("a"), { broker });
    const worker = await pool.start(broker);
    publishAged(broker, "a", 365 * 24 * 3600 * 1000);
    await broker.join("default");
    await worker.join();
    expect(ran).toEqual(["a"]);
  });
});
