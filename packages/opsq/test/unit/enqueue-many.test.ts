/**
 * Batch enqueue on the in-memory StubBroker: per-message results in input order, the enqueue
 * hooks per message, delays, and failures (a hook refusing, an oversized body) kept to their message.
 */
import { describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { MessageTooLargeError, MiddlewareError } from "../../src/errors.js";
import type { Message } from "../../src/message.js";
import type { Middleware } from "../../src/middleware/middleware.js";
import { dqName } from "../../src/queue-names.js";
import { quietLogger, takeAll } from "./helpers.js";

function stubBroker(middleware: Middleware[] = [], maxMessageBytes?: number): StubBroker {
  return new StubBroker({ middleware, logger: quietLogger(), maxMessageBytes });
}

describe("Broker.enqueueMany and Actor.sendMany", () => {
  it("publishes every message as an ordinary message and returns one ok result per input, in order", async () => {
    // Given an actor on a stub broker
    const broker = stubBroker();
    const add = defineActor("add", (_x: number, _y: number) => {}, { broker, queue: "math" });

    // When sending three argument lists at once
    const results = await add.sendMany([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);

    // Then every result is ok, in input order, and the queue holds the three messages in that order
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(results.map((r) => r.message.args)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const queued = await takeAll(broker, "math");
    expect(queued.map((m) => m.messageId)).toEqual(results.map((r) => r.message.messageId));
    expect(queued[0]!.actorName).toBe("add");
  });

  it("returns an empty list for an empty batch", async () => {
    const broker = stubBroker();
    await expect(broker.enqueueMany([])).resolves.toEqual([]);
  });

  it("delays every message to q.DQ with an eta when delayMs is given", async () => {
    // Given an actor
    const broker = stubBroker();
    const add = defineActor("add", (_x: number) => {}, { broker, queue: "math" });

    // When sending two with a delay
    const before = Date.now();
    const results = await add.sendMany([[1], [2]], { delayMs: 60_000 });

    // Then both went to math.DQ with an eta about a minute on
    for (const result of results) {
      expect(result.ok).toBe(true);
      expect(result.message.queueName).toBe(dqName("math"));
      expect(result.message.options.eta).toBeGreaterThanOrEqual(before + 60_000);
    }
    expect(await broker.getQueueCounts("math")).toMatchObject({ ready: 0, delayed: 2 });
  });

  it("runs beforeEnqueue and afterEnqueue once per message, as send() does", async () => {
    // Given a middleware recording its enqueue hooks (one async, as the dedup middleware's)
    const seen: string[] = [];
    const recorder: Middleware = {
      beforeEnqueue: async (_broker, message: Message) => {
        seen.push(`before ${String(message.args[0])}`);
      },
      afterEnqueue: (_broker, message: Message) => {
        seen.push(`after ${String(message.args[0])}`);
      },
    };
    const broker = stubBroker([recorder]);
    const echo = defineActor("echo", (_x: string) => {}, { broker });

    // When sending two messages at once
    await echo.sendMany([["a"], ["b"]]);

    // Then every message had both hooks, the before ones ahead of any after
    expect(seen).toEqual(["before a", "before b", "after a", "after b"]);
  });

  it("keeps a failure to its message: a hook refusing one, an oversized body, the rest published", async () => {
    // Given a middleware refusing "skip", and a 300-byte limit
    const refuser: Middleware = {
      beforeEnqueue: (_broker, message: Message) => {
        if (message.args[0] === "skip") {
          throw new MiddlewareError("refused by the test");
        }
      },
    };
    const broker = stubBroker([refuser], 300);
    const echo = defineActor("echo", (_x: string) => {}, { broker });

    // When sending a batch with one refused and one too large
    const results = await echo.sendMany([["ok 1"], ["skip"], ["x".repeat(1_000)], ["ok 2"]]);

    // Then the results say which failed and why, in input order
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    const [, refused, large] = results;
    expect(!refused!.ok && refused!.error).toBeInstanceOf(MiddlewareError);
    expect(!large!.ok && large!.error).toBeInstanceOf(MessageTooLargeError);
    // And only the two others are queued
    const queued = await takeAll(broker, "default");
    expect(queued.map((m) => m.args[0])).toEqual(["ok 1", "ok 2"]);
  });

  it("reports a publish that fails in the transport as a failed result, not a rejection", async () => {
    // Given a stub whose transport refuses one queue
    class FlakyBroker extends StubBroker {
      protected override async publish(message: Message, body: Buffer): Promise<void> {
        if (message.queueName === "broken") {
          throw new Error("transport refused");
        }
        await super.publish(message, body);
      }
    }
    const broker = new FlakyBroker({ middleware: [], logger: quietLogger() });
    const good = defineActor("good", () => {}, { broker, queue: "fine" });
    const bad = defineActor("bad", () => {}, { broker, queue: "broken" });

    // When enqueueing a mix
    const results = await broker.enqueueMany([good.message(), bad.message(), good.message()]);

    // Then only the broken one failed, with the transport's error
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(!results[1]!.ok && results[1]!.error.message).toBe("transport refused");
  });
});
