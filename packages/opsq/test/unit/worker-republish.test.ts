import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { DecodeError, MessageRefusedError, PublishError } from "../../src/errors.js";
import type { Message } from "../../src/message.js";
import type { Middleware } from "../../src/middleware/middleware.js";
import { Pipelines } from "../../src/middleware/pipelines.js";
import { Retries } from "../../src/middleware/retries.js";
import { quietLogger, sleep, workerPool } from "./helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

/** A stub whose publishes to queues chosen by the test fail, permanently or not. */
class FailingBroker extends StubBroker {
  attempts = 0;
  failures = 0;
  constructor(
    readonly failOn: (message: Message) => Error | undefined,
    middleware: Middleware[] = [],
  ) {
    super({ middleware, logger: quietLogger() });
  }

  protected override async publish(message: Message, body: Buffer): Promise<void> {
    const error = this.failOn(message);
    if (error !== undefined) {
      this.attempts++;
      throw error;
    }
    return super.publish(message, body);
  }
}

function raw(fields: Record<string, unknown>): string {
  return JSON.stringify({
    queue_name: "default.DQ",
    actor_name: "job",
    args: [],
    kwargs: {},
    options: {},
    ...fields,
  });
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error("condition not met in time");
    }
    await sleep(10);
  }
}

describe("Worker: permanent and transient refusals of a re-publish", () => {
  it("dead-letters once a due delayed message the broker refuses for good, instead of looping", async () => {
    // Given a broker that refuses every publish to the main queue
    const broker = new FailingBroker((message) =>
      message.queueName === "default" ? new MessageRefusedError("refused for good") : undefined,
    );
    const ran: unknown[] = [];
    defineActor("job", () => void ran.push(1), { broker });
    const worker = await pool.start(broker);

    // When a due message arrives in the delay queue
    broker.publishRaw("default.DQ", raw({ options: { eta: 1 } }));
    await eventually(async () => (await broker.getQueueCounts("default")).deadLettered === 1, 3_000);
    await sleep(50);

    // Then I expect one attempt to re-publish it, then the delivery dead-lettered with the reason
    expect(broker.attempts).toBe(1);
    expect(ran).toEqual([]);
    expect(broker.deadLetters("default")[0]?.reason).toBeInstanceOf(MessageRefusedError);
    expect(worker.stats.nacked).toBe(1);
  });

  it("hands back a due delayed message after a transient failure, and moves it once the broker takes it", async () => {
    // Given a broker whose first publish to the main queue fails for a transient reason
    let failures = 1;
    const broker = new FailingBroker((message) =>
      message.queueName === "default" && failures-- > 0 ? new PublishError("connection lost") : undefined,
    );
    const ran: unknown[] = [];
    defineActor("job", () => void ran.push(1), { broker });
    await pool.start(broker);

    // When a due message arrives in the delay queue
    broker.publishRaw("default.DQ", raw({ options: { eta: 1 } }));
    await eventually(() => ran.length === 1);
    await broker.join("default", { timeoutMs: 5_000 });

    // Then I expect it run once, nothing dead-lettered
    expect(broker.attempts).toBe(1);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });
});

describe("Worker: invalid delayed messages are dead-lettered at decode", () => {
  it.each([
    ["broker_priority 300", { options: { eta: 1, broker_priority: 300 } }, /broker_priority/],
    ['queue_name ""', { queue_name: "", options: { eta: 1 } }, /queue_name/],
    ["a queue_name of another family", { queue_name: "other", options: { eta: 1 } }, /queue_name "other"/],
    ['eta "soon"', { options: { eta: "soon" } }, /options\.eta/],
    [
      'max_retries "abc"',
      { options: { eta: 1, max_retries: "abc", min_backoff: "abc" } },
      /options\.max_retries/,
    ],
    ["time_limit 0", { options: { eta: 1, time_limit: 0 } }, /options\.time_limit/],
  ])(
    "%s: dead-lettered once with the reason, never run, never re-published",
    async (_what, fields, reason) => {
      // Given a worker whose broker records every publish
      const broker = new FailingBroker(() => undefined);
      let published = 0;
      broker.addMiddleware({ afterEnqueue: () => void published++ });
      const ran: unknown[] = [];
      defineActor("job", () => void ran.push(1), { broker });
      const worker = await pool.start(broker);

      // When the bad message arrives in the delay queue
      broker.publishRaw("default.DQ", raw(fields));
      await eventually(async () => (await broker.getQueueCounts("default")).deadLettered === 1, 3_000);
      await sleep(30);

      // Then I expect it dead-lettered once with a DecodeError naming what is wrong
      const dead = broker.deadLetters("default");
      expect(dead).toHaveLength(1);
      expect(dead[0]?.reason).toBeInstanceOf(DecodeError);
      expect((dead[0]!.reason as DecodeError).reason).toMatch(reason);
      expect(ran).toEqual([]);
      expect(published).toBe(0);
      expect(worker.stats.nacked).toBe(1);
    },
  );
});

describe("Worker: an eta on the main queue", () => {
  it("parks messages due far in the future in the delay queue, so they never stall the queue", async () => {
    // Given one slot and a small prefetch
    const broker = new StubBroker({ middleware: [], logger: quietLogger() });
    const ran: string[] = [];
    const job = defineActor("job", (name: string) => void ran.push(name), { broker });
    const worker = await pool.start(broker, { concurrency: 1, prefetch: 2 });

    // When 8 messages due in the year 3000 arrive on the main queue, then an ordinary one
    const year3000 = Date.UTC(3000, 0, 1);
    for (let i = 0; i < 8; i++) {
      broker.publishRaw(
        "default",
        raw({ queue_name: "default", args: [`far-${i}`], options: { eta: year3000 } }),
      );
    }
    await job.send("now");

    // Then I expect the ordinary one run soon, and the far ones parked in the delay queue, not run
    await eventually(() => ran.includes("now"), 5_000);
    await eventually(async () => (await broker.getQueueCounts("default")).delayed === 8, 5_000);
    expect(ran).toEqual(["now"]);
    expect(worker.stats.nacked).toBe(0);
  });

  it("runs a message whose eta on the main queue has passed, without re-publishing it", async () => {
    // Given a worker whose broker records every publish
    const broker = new StubBroker({ middleware: [], logger: quietLogger() });
    let published = 0;
    broker.addMiddleware({ afterEnqueue: () => void published++ });
    const ran: unknown[] = [];
    defineActor("job", () => void ran.push(1), { broker });
    await pool.start(broker);

    // When a message with a past eta arrives on the main queue
    broker.publishRaw("default", raw({ queue_name: "default", options: { eta: Date.now() - 1_000 } }));
    await eventually(() => ran.length === 1);

    // Then I expect it run once, and nothing published
    expect(published).toBe(0);
  });
});

describe("Worker: held delayed messages are bounded in bytes", () => {
  it("stops taking delayed messages above maxHeldBytes, and takes them again as it releases some", async () => {
    // Given a worker that may hold 3 KB of delayed bodies, and 10 delayed messages of about 1 KB
    const broker = new StubBroker({ middleware: [], logger: quietLogger() });
    const ran: number[] = [];
    defineActor("job", (n: number) => void ran.push(n), { broker });
    const worker = await pool.start(broker, { maxHeldBytes: 3_000 });
    const padding = "x".repeat(1_000);
    const eta = Date.now() + 400;
    for (let i = 0; i < 10; i++) {
      broker.publishRaw("default.DQ", raw({ args: [i], kwargs: { padding }, options: { eta } }));
    }

    // When they arrive, then I expect at most what crosses the budget held, the rest left in the queue
    await sleep(100);
    expect(worker.stats.delayed).toBeLessThanOrEqual(3);
    expect(worker.stats.heldBytes).toBeLessThanOrEqual(4_000);
    expect(worker.stats.delayed).toBeGreaterThanOrEqual(1);

    // And every message run in the end
    await eventually(() => ran.length === 10, 10_000);
    expect(ran.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("refuses a maxHeldBytes that is not a whole number ≥ 1", async () => {
    const broker = new StubBroker({ middleware: [], logger: quietLogger() });
    await expect(pool.start(broker, { maxHeldBytes: 0 })).rejects.toThrow(/maxHeldBytes/);
  });
});

describe("Retries and Pipelines: a re-publish refused for good or failing for now", () => {
  it("Retries dead-letters with the refusal when the broker refuses the retry for good", async () => {
    // Given an actor that fails, and a broker refusing every publish to the delay queue
    const broker = new FailingBroker(
      (message) => (message.queueName === "default.DQ" ? new MessageRefusedError("refused") : undefined),
      [new Retries({ minBackoffMs: 1, maxBackoffMs: 1 })],
    );
    const job = defineActor(
      "job",
      () => {
        throw new Error("boom");
      },
      { broker },
    );
    await pool.start(broker);

    // When a message fails
    await job.send();
    await eventually(async () => (await broker.getQueueCounts("default")).deadLettered === 1);

    // Then I expect it dead-lettered once with the refusal as its reason
    expect(broker.attempts).toBe(1);
    expect(broker.deadLetters("default")[0]?.reason).toBeInstanceOf(MessageRefusedError);
  });

  it("Retries hands the message back when the retry cannot be published for now, instead of dead-lettering it", async () => {
    // Given an actor that fails once, and a broker whose first publish to the delay queue fails for now
    let failures = 1;
    const broker = new FailingBroker(
      (message) =>
        message.queueName === "default.DQ" && failures-- > 0
          ? new PublishError("connection lost")
          : undefined,
      [new Retries({ minBackoffMs: 1, maxBackoffMs: 1 })],
    );
    let calls = 0;
    const job = defineActor(
      "job",
      () => {
        calls++;
        if (calls === 1) {
          throw new Error("boom");
        }
      },
      { broker },
    );
    await pool.start(broker);

    // When it is sent
    await job.send();
    await eventually(() => calls === 2);
    await broker.join("default", { timeoutMs: 5_000 });

    // Then I expect it run again, and nothing dead-lettered
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("Pipelines dead-letters a step whose next step the broker refuses for good, instead of dropping it", async () => {
    // Given a two-step pipeline whose second step's queue refuses every message
    const broker = new FailingBroker(
      (message) => (message.queueName === "refusing" ? new MessageRefusedError("refused") : undefined),
      [new Pipelines()],
    );
    const first = defineActor("first", () => 1, { broker });
    const second = defineActor("second", (_n: number) => {}, { broker, queue: "refusing" });
    await pool.start(broker, { queues: ["default"] });

    // When the pipeline runs its first step
    await first.sendWithOptions({ wireOptions: { pipe_target: second.pipeMessage().asDict() } });
    await eventually(async () => (await broker.getQueueCounts("default")).deadLettered === 1);

    // Then I expect the first step dead-lettered with the reason
    expect(String(broker.deadLetters("default")[0]?.reason)).toMatch(
      /next step could not be enqueued: refused/,
    );
  });
});
