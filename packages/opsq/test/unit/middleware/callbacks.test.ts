import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import type { MessageDict } from "../../../src/message.js";
import { Callbacks } from "../../../src/middleware/callbacks.js";
import { Retries } from "../../../src/middleware/retries.js";
import { loadMessageFixtures, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function callbackBroker(): StubBroker {
  return new StubBroker({
    middleware: [new Callbacks(), new Retries({ minBackoffMs: 1, maxBackoffMs: 2 })],
    logger: quietLogger(),
  });
}

/** An actor on its own queue recording the (message, payload) pairs it is sent. */
function reporter(broker: StubBroker, name = "report") {
  const calls: [MessageDict, unknown][] = [];
  const actor = defineActor(
    name,
    (message: MessageDict, payload: unknown) => void calls.push([message, payload]),
    {
      broker,
      queue: "reports",
    },
  );
  return { actor, calls };
}

async function settle(broker: StubBroker, ...queues: string[]): Promise<void> {
  for (const queue of queues) {
    await broker.join(queue);
  }
}

describe("Callbacks", () => {
  it("sends (messageDict, result) to onSuccess", async () => {
    // Given an actor with an onSuccess callback
    const broker = callbackBroker();
    const { actor: report, calls } = reporter(broker);
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, onSuccess: report });
    const worker = await pool.start(broker);

    // When it succeeds
    const sent = await add.send(1, 2);
    await settle(broker, "default", "reports");
    await worker.join();

    // Then I expect the callback to get the message as a dict and the result
    expect(calls).toEqual([[sent.asDict(), 3]]);
  });

  it("sends null for an undefined result, as Python's None", async () => {
    const broker = callbackBroker();
    const { calls } = reporter(broker);
    const noop = defineActor("noop", () => undefined, { broker, onSuccess: "report" });
    const worker = await pool.start(broker);
    await noop.send();
    await settle(broker, "default", "reports");
    await worker.join();
    expect(calls.map(([, result]) => result)).toEqual([null]);
  });

  it("sends (messageDict, { type, message }) to onFailure after each failed attempt", async () => {
    // Given an actor that always fails, with one retry and an onFailure callback
    const broker = callbackBroker();
    const { calls } = reporter(broker);
    const fail = defineActor(
      "fail",
      () => {
        throw new RangeError("out of range");
      },
      { broker, maxRetries: 1, onFailure: "report" },
    );
    const worker = await pool.start(broker);

    // When it runs out of retries
    const sent = await fail.send();
    await settle(broker, "default", "reports");
    await worker.join();

    // Then I expect one callback per attempt, with the error's type and message
    expect(calls).toHaveLength(2);
    expect(calls.map(([, info]) => info)).toEqual([
      { type: "RangeError", message: "out of range" },
      { type: "RangeError", message: "out of range" },
    ]);
    expect(calls.map(([message]) => message.message_id)).toEqual([sent.messageId, sent.messageId]);
    // (the callback for the retry may be sent before the first attempt's: the order is not fixed)
    const retries = calls.map(([message]) => message.options.retries);
    expect(retries).toHaveLength(2);
    expect(retries).toEqual(expect.arrayContaining([1, 2]));
  });

  it("passes onFailure the message with its options updated for this failure, as Dramatiq", async () => {
    // Given an actor that fails once, with an onFailure callback (as fidelity.json's `flaky`)
    const broker = callbackBroker();
    const { calls } = reporter(broker);
    let attempts = 0;
    const flaky = defineActor(
      "flaky",
      () => {
        attempts++;
        if (attempts === 1) {
          throw new RangeError("boom once");
        }
      },
      { broker, onFailure: "report" },
    );
    const worker = await pool.start(broker);

    // When its first attempt fails
    const sent = await flaky.send();
    await settle(broker, "default", "reports");
    await worker.join();

    // Then I expect the callback's message to carry retries 1, this failure's traceback and
    // the requeue time, and no eta (that is on the retry's copy only)
    expect(calls).toHaveLength(1);
    const [message] = calls[0]!;
    expect(message.message_id).toBe(sent.messageId);
    expect(message.options.retries).toBe(1);
    expect(message.options.traceback).toEqual(expect.stringContaining("boom once"));
    expect(typeof message.options.requeue_timestamp).toBe("number");
    expect(message.options.eta).toBeUndefined();
  });

  it("does not send onFailure after a success, nor onSuccess after a failure", async () => {
    const broker = callbackBroker();
    const { calls } = reporter(broker);
    const ok = defineActor("ok", () => 1, { broker, onFailure: "report" });
    const ko = defineActor(
      "ko",
      () => {
        throw new Error("x");
      },
      { broker, onSuccess: "report", maxRetries: 0 },
    );
    const worker = await pool.start(broker);
    await ok.send();
    await ko.send();
    await settle(broker, "default", "reports");
    await worker.join();
    expect(calls).toEqual([]);
  });

  it("takes the callbacks from a Python message's options", async () => {
    // Given the actors of Dramatiq's fixture: add(x, y=..., name=...) and report
    const broker = callbackBroker();
    const { calls } = reporter(broker);
    defineActor(
      "add",
      (x: number, kwargs: { y: number; name: string }) => `${kwargs.name}: ${x + kwargs.y}`,
      {
        broker,
        queue: "fixtures",
      },
    );
    const worker = await pool.start(broker);

    // When Python's message with on_success/on_failure arrives
    broker.publishRaw("fixtures", loadMessageFixtures().kwargs_unicode_callbacks!.body_raw);
    await settle(broker, "fixtures", "reports");
    await worker.join();

    // Then I expect the success callback with the result
    expect(calls.map(([message, result]) => [message.message_id, result])).toEqual([
      ["bad51ee0-5240-4305-8e58-df11d88d0466", "Zoë ✓: 3"],
    ]);
  });
});
