import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { getContext } from "../../../src/context.js";
import { MiddlewareError, SkipMessage } from "../../../src/errors.js";
import type { Logger } from "../../../src/logger.js";
import type { Middleware, Outcome } from "../../../src/middleware/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import type { Worker } from "../../../src/worker.js";
import { captureLogger, quietLogger, sleep, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function stubBroker(middleware: Middleware[], logger: Logger = quietLogger()): StubBroker {
  return new StubBroker({ middleware, logger });
}

/** Defines "actor" on `broker`, sends it one message and waits until a worker has processed it. */
async function processOneMessage(broker: StubBroker, handler: () => void): Promise<Worker> {
  const actor = defineActor("actor", handler, { broker });
  const worker = await pool.start(broker);
  await actor.send();
  await broker.join("default");
  await worker.join();
  return worker;
}

/** A middleware that records each process and ack hook it sees, tagged with `name`. */
function recorder(name: string, events: string[]): Middleware {
  return {
    name,
    beforeProcessMessage: () => void events.push(`${name}.beforeProcess`),
    afterProcessMessage: () => void events.push(`${name}.afterProcess`),
    beforeAck: () => void events.push(`${name}.beforeAck`),
    afterAck: () => void events.push(`${name}.afterAck`),
  };
}

describe("middleware hooks", () => {
  it("run before hooks in registration order and after hooks in reverse", async () => {
    // Given three middleware recording their hooks
    const events: string[] = [];
    const broker = stubBroker([recorder("a", events), recorder("b", events), recorder("c", events)]);

    // When a message is processed
    await processOneMessage(broker, () => void events.push("handler"));

    // Then I expect an onion: a, b, c before; c, b, a after
    expect(events).toEqual([
      "a.beforeProcess",
      "b.beforeProcess",
      "c.beforeProcess",
      "handler",
      "c.afterProcess",
      "b.afterProcess",
      "a.afterProcess",
      "a.beforeAck",
      "b.beforeAck",
      "c.beforeAck",
      "c.afterAck",
      "b.afterAck",
      "a.afterAck",
    ]);
  });

  it("wait for async hooks before running the next one", async () => {
    // Given an async middleware ahead of a sync one
    const events: string[] = [];
    const broker = stubBroker([
      {
        async beforeProcessMessage() {
          await sleep(5);
          events.push("slow");
        },
      },
      { beforeProcessMessage: () => void events.push("fast") },
    ]);

    // When a message is processed
    await processOneMessage(broker, () => void events.push("handler"));

    // Then I expect them in order
    expect(events).toEqual(["slow", "fast", "handler"]);
  });

  it.each(["sync", "async"])(
    "log and swallow a %s hook error that is not a MiddlewareError",
    async (kind) => {
      // Given a middleware whose hooks throw a plain error, between two recorders
      const events: string[] = [];
      const { logger, lines } = captureLogger();
      const boom = (): void | Promise<void> => {
        if (kind === "sync") {
          throw new Error("hook broke");
        }
        return Promise.reject(new Error("hook broke"));
      };
      const broker = stubBroker(
        [
          recorder("a", events),
          { name: "Broken", beforeProcessMessage: boom, afterProcessMessage: boom },
          recorder("c", events),
        ],
        logger,
      );

      // When a message is processed
      await processOneMessage(broker, () => void events.push("handler"));

      // Then I expect the other hooks and the handler to run, the message acked, and the errors logged
      expect(events).toEqual([
        "a.beforeProcess",
        "c.beforeProcess",
        "handler",
        "c.afterProcess",
        "a.afterProcess",
        "a.beforeAck",
        "c.beforeAck",
        "c.afterAck",
        "a.afterAck",
      ]);
      expect(broker.deadLetters("default")).toEqual([]);
      const failures = lines.filter((line) => line.msg === "middleware hook failed; going on");
      expect(failures.map((line) => [line.hook, line.middleware])).toEqual([
        ["beforeProcessMessage", "Broken"],
        ["afterProcessMessage", "Broken"],
      ]);
      expect(failures[0]).toMatchObject({ err: { message: "hook broke" } });
    },
  );

  it("propagate SkipMessage: later before hooks and the handler do not run", async () => {
    // Given a middleware that skips, between two recorders
    const events: string[] = [];
    const broker = stubBroker([
      recorder("a", events),
      {
        beforeProcessMessage: () => {
          throw new SkipMessage("skip");
        },
        afterSkipMessage: () => void events.push("skipped"),
      },
      recorder("c", events),
    ]);

    // When a message is processed
    await processOneMessage(broker, () => void events.push("handler"));

    // Then I expect the skip to stop the chain, the after-process hooks not to run, and an ack
    expect(events).toEqual([
      "a.beforeProcess",
      "skipped",
      "a.beforeAck",
      "c.beforeAck",
      "c.afterAck",
      "a.afterAck",
    ]);
  });

  it("fail the attempt on another MiddlewareError, through afterProcessMessage as in Dramatiq", async () => {
    // Given a middleware that refuses the first attempt, and Retries
    const outcomes: Outcome[] = [];
    let attempts = 0;
    const broker = stubBroker([
      {
        beforeProcessMessage: () => {
          attempts++;
          if (attempts === 1) {
            throw new MiddlewareError("refused");
          }
        },
        afterProcessMessage: (_b, _p, outcome) => void outcomes.push(outcome),
      },
      new Retries({ minBackoffMs: 1 }),
    ]);
    const signals: AbortSignal[] = [];

    // When a message is processed
    const worker = await processOneMessage(broker, () => void signals.push(getContext().signal));

    // Then I expect the after hooks to see the error, Retries to retry it, and the retry to succeed
    // (the retry may finish before the first attempt's last after hook: the order is not fixed)
    const messages = outcomes.map((o) => o.error?.message);
    expect(messages).toHaveLength(2);
    expect(messages).toEqual(expect.arrayContaining(["refused", undefined]));
    expect(signals).toHaveLength(1);
    expect(broker.deadLetters("default")).toEqual([]);
    expect(worker.stats).toMatchObject({ acked: 2, nacked: 0 });
  });

  it("do not run the handler of a message a before hook failed", async () => {
    // Given a middleware that fails every message without throwing
    const events: string[] = [];
    const broker = stubBroker([
      {
        beforeProcessMessage: (_b, proxy) => proxy.fail(new Error("no")),
        afterProcessMessage: (_b, _p, outcome) => void events.push(`after: ${outcome.error?.message}`),
      },
    ]);

    // When a message is processed
    await processOneMessage(broker, () => void events.push("handler"));

    // Then I expect it dead-lettered, unrun (Dramatiq checks message.failed before calling the actor),
    // and the after hooks told it failed
    expect(events).toEqual(["after: no"]);
    expect(broker.deadLetters("default").map((d) => d.reason?.message)).toEqual(["no"]);
  });
});
