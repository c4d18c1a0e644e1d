import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { getContext } from "../../../src/context.js";
import { Retry, UnrecoverableError } from "../../../src/errors.js";
import type { Message, MessageDict } from "../../../src/message.js";
import type { Middleware } from "../../../src/middleware/middleware.js";
import { Retries, type RetriesOptions } from "../../../src/middleware/retries.js";
import { quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

/** A broker with Retries (1 ms backoffs unless told) and a recorder of the delays it asks for. */
function retryBroker(options: RetriesOptions = {}, extra: Middleware[] = []) {
  const delays: number[] = [];
  const recorder: Middleware = {
    afterEnqueue: (_b, _m, delayMs) => {
      if (delayMs > 0) {
        delays.push(delayMs);
      }
    },
  };
  const broker = new StubBroker({
    middleware: [...extra, recorder, new Retries({ minBackoffMs: 1, maxBackoffMs: 5, ...options })],
    logger: quietLogger(),
  });
  return { broker, delays };
}

/** An actor that fails with `error(attempt)` while it returns an Error, recording each attempt's retries. */
function flaky(broker: StubBroker, error: (attempt: number) => unknown, options = {}) {
  const retriesSeen: number[] = [];
  const actor = defineActor(
    "flaky",
    async () => {
      const { retries } = getContext();
      retriesSeen.push(retries);
      const thrown = error(retriesSeen.length);
      if (thrown !== undefined) {
        throw thrown;
      }
      return "ok";
    },
    { broker, ...options },
  );
  return { actor, retriesSeen };
}

async function drain(broker: StubBroker): Promise<void> {
  await broker.join("default");
}

describe("Retries: counting", () => {
  it("with maxRetries 3 makes 4 attempts, then dead-letters the message with options.retries = 3", async () => {
    // Given an actor that always fails, allowed 3 retries
    const { broker } = retryBroker();
    const { actor, retriesSeen } = flaky(broker, () => new Error("always"), { maxRetries: 3 });
    const worker = await pool.start(broker);

    // When I send it a message
    const sent = await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect 4 attempts, seeing 0..3 retries, and one dead letter as last published
    expect(retriesSeen).toEqual([0, 1, 2, 3]);
    const [dead, ...rest] = broker.deadLetteredMessages("default");
    expect(rest).toEqual([]);
    expect(dead!.messageId).toBe(sent.messageId);
    expect(dead!.messageTimestamp).toBe(sent.messageTimestamp);
    expect(dead!.queueName).toBe("default");
    expect(dead!.options.retries).toBe(3);
    expect(dead!.options.traceback).toContain("Error: always");
    expect(typeof dead!.options.requeue_timestamp).toBe("number");
    expect(dead!.options.eta).toBeUndefined();
    expect(broker.deadLetters("default")[0]!.reason!.message).toBe("always");
    expect(worker.stats).toMatchObject({ acked: 3, nacked: 1 });
  });

  it("writes a traceback that keeps the JS stack and ends with `<ErrorName>: <message>`, as Python's", async () => {
    // Given an actor that fails with a TypeError, then succeeds
    const retried: Message[] = [];
    const { broker } = retryBroker({}, [{ afterEnqueue: (_b, message) => void retried.push(message) }]);
    const { actor } = flaky(broker, (n) => (n === 1 ? new TypeError("bad thing\nat url") : undefined));
    const worker = await pool.start(broker);

    // When it runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then the retry's traceback has the stack's frames, and its last line is the error
    const traceback = retried.find((message) => message.options.retries === 1)!.options.traceback!;
    const lines = traceback.split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.at(-2)).toBe("TypeError: bad thing at url");
    expect(lines[0]).toBe("TypeError: bad thing");
    expect(lines.some((line) => /^\s+at /.test(line))).toBe(true);
  });

  it("acks a message that succeeds on a retry", async () => {
    // Given an actor that fails twice
    const { broker } = retryBroker();
    const { actor, retriesSeen } = flaky(broker, (n) => (n <= 2 ? new Error(`fail ${n}`) : undefined));
    const worker = await pool.start(broker);

    // When it runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect three attempts and no dead letter
    expect(retriesSeen).toEqual([0, 1, 2]);
    expect(broker.deadLetters("default")).toEqual([]);
  });

  it.each([
    ["the message option", { max_retries: 0 }, { maxRetries: 2 }, 5, 1],
    ["the actor option", {}, { maxRetries: 2 }, 5, 3],
    ["the middleware default", {}, {}, 1, 2],
  ])("takes maxRetries from %s first", async (_source, wireOptions, actorOptions, fallback, attempts) => {
    // Given maxRetries set at several levels
    const { broker } = retryBroker({ maxRetries: fallback });
    const { actor, retriesSeen } = flaky(broker, () => new Error("no"), actorOptions);
    const worker = await pool.start(broker);

    // When a failing message runs
    await actor.sendWithOptions({ wireOptions });
    await drain(broker);
    await worker.join();

    // Then I expect the number of attempts the winning level allows
    expect(retriesSeen).toHaveLength(attempts);
    expect(broker.deadLetters("default")).toHaveLength(1);
  });

  it("takes maxRetries from sendWithOptions", async () => {
    const { broker } = retryBroker({ maxRetries: 5 });
    const { actor, retriesSeen } = flaky(broker, () => new Error("no"), { maxRetries: 4 });
    const worker = await pool.start(broker);
    await actor.sendWithOptions({ maxRetries: 1 });
    await drain(broker);
    await worker.join();
    expect(retriesSeen).toEqual([0, 1]);
  });
});

describe("Retries: backoff", () => {
  it("delays retry n by min * 2^n * (1 + random), through the delay queue", async () => {
    // Given a random source stubbed to 0.5 and a high cap
    const { broker, delays } = retryBroker({ minBackoffMs: 4, maxBackoffMs: 1000, random: () => 0.5 });
    const { actor } = flaky(broker, () => new Error("no"), { maxRetries: 3 });
    const worker = await pool.start(broker);

    // When a failing message runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect 6, 12 and 24 ms
    expect(delays).toEqual([6, 12, 24]);
  });

  it("caps the backoff to max * [0.5, 1)", async () => {
    // Given the lowest random draw and a cap of 10 ms
    const { broker, delays } = retryBroker({ minBackoffMs: 4, maxBackoffMs: 10, random: () => 0 });
    const { actor } = flaky(broker, () => new Error("no"), { maxRetries: 3 });
    const worker = await pool.start(broker);

    // When a failing message runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect 4, 8, then 16 capped to half of 10
    expect(delays).toEqual([4, 8, 5]);
  });

  it("takes the backoff bounds from the message before the actor", async () => {
    const { broker, delays } = retryBroker({ minBackoffMs: 100, random: () => 0 });
    const { actor } = flaky(broker, () => new Error("no"), {
      maxRetries: 1,
      minBackoffMs: 50,
      maxBackoffMs: 60,
    });
    const worker = await pool.start(broker);
    await actor.sendWithOptions({ minBackoffMs: 3, maxBackoffMs: 1000 });
    await drain(broker);
    await worker.join();
    expect(delays).toEqual([3]);
  });

  it("uses the delay of a thrown Retry instead of the backoff", async () => {
    // Given an actor that asks for a retry in 7 ms once
    const { broker, delays } = retryBroker({ minBackoffMs: 1000 });
    const { actor, retriesSeen } = flaky(broker, (n) => (n === 1 ? new Retry({ delayMs: 7 }) : undefined));
    const worker = await pool.start(broker);

    // When it runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect the retry after 7 ms, then success
    expect(delays).toEqual([7]);
    expect(retriesSeen).toEqual([0, 1]);
    expect(broker.deadLetters("default")).toEqual([]);
  });
});

describe("Retries: deciding", () => {
  it("lets retryWhen decide, given the retries so far and the error, over maxRetries", async () => {
    // Given retryWhen allowing two retries, and maxRetries 0 that it overrides
    const { broker } = retryBroker();
    const calls: [number, string][] = [];
    const { actor, retriesSeen } = flaky(broker, (n) => new Error(`fail ${n}`), {
      maxRetries: 0,
      retryWhen: (retries: number, error: Error) => {
        calls.push([retries, error.message]);
        return retries < 2;
      },
    });
    const worker = await pool.start(broker);

    // When a failing message runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect retryWhen called with Dramatiq's count (retries before this failure) and 3 attempts
    expect(calls).toEqual([
      [0, "fail 1"],
      [1, "fail 2"],
      [2, "fail 3"],
    ]);
    expect(retriesSeen).toEqual([0, 1, 2]);
    expect(broker.deadLetters("default")).toHaveLength(1);
  });

  it("fails at once on an error listed in throws, and retries others", async () => {
    // Given an actor that throws a RangeError, then a TypeError, and lists TypeError in throws
    const { broker } = retryBroker();
    const { actor, retriesSeen } = flaky(
      broker,
      (n) => (n === 1 ? new RangeError("retry me") : new TypeError("fatal")),
      {
        throws: [TypeError],
      },
    );
    const worker = await pool.start(broker);

    // When it runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect one retry, then a dead letter without more retries
    expect(retriesSeen).toEqual([0, 1]);
    expect(broker.deadLetters("default").map((d) => d.reason?.message)).toEqual(["fatal"]);
  });

  it("fails at once on an UnrecoverableError", async () => {
    const { broker } = retryBroker();
    const { actor, retriesSeen } = flaky(broker, () => new UnrecoverableError("give up"));
    const worker = await pool.start(broker);
    await actor.send();
    await drain(broker);
    await worker.join();
    expect(retriesSeen).toEqual([0]);
    expect(broker.deadLetters("default")[0]!.reason).toBeInstanceOf(UnrecoverableError);
  });
});

describe("Retries: onRetryExhausted", () => {
  it.each(["name", "actor"] as const)(
    "sends (messageDict, { retries, max_retries }) to the actor given by %s",
    async (how) => {
      // Given an actor told to report exhausted retries
      const { broker } = retryBroker();
      const reports: [MessageDict, unknown][] = [];
      const exhausted = defineActor(
        "exhausted",
        (message: MessageDict, info: unknown) => void reports.push([message, info]),
        { broker, queue: "reports" },
      );
      const { actor } = flaky(broker, () => new Error("no"), {
        maxRetries: 2,
        onRetryExhausted: how === "name" ? "exhausted" : exhausted,
      });
      const worker = await pool.start(broker);

      // When it runs out of retries
      const sent = await actor.send();
      await drain(broker);
      await broker.join("reports");
      await worker.join();

      // Then I expect one report, with the message and the counts
      expect(reports).toHaveLength(1);
      const [message, info] = reports[0]!;
      expect(message.message_id).toBe(sent.messageId);
      expect(message.actor_name).toBe("flaky");
      expect(info).toEqual({ retries: 2, max_retries: 2 });
      // As Dramatiq: the message's options are updated for this last failure
      expect(message.options.retries).toBe(3);
      expect(message.options.traceback).toEqual(expect.stringContaining("no"));
    },
  );

  it("takes the target from the message", async () => {
    const { broker } = retryBroker();
    const reports: unknown[] = [];
    defineActor("exhausted", (_m: MessageDict, info: unknown) => void reports.push(info), { broker });
    const { actor } = flaky(broker, () => new Error("no"));
    const worker = await pool.start(broker);
    await actor.sendWithOptions({ maxRetries: 0, onRetryExhausted: "exhausted" });
    await drain(broker);
    await worker.join();
    expect(reports).toEqual([{ retries: 0, max_retries: 0 }]);
  });

  it("sends nothing when the failure is not retried (throws)", async () => {
    const { broker } = retryBroker();
    const reports: unknown[] = [];
    defineActor("exhausted", () => void reports.push(1), { broker });
    const { actor } = flaky(broker, () => new UnrecoverableError("x"), { onRetryExhausted: "exhausted" });
    const worker = await pool.start(broker);
    await actor.send();
    await drain(broker);
    await worker.join();
    expect(reports).toEqual([]);
  });

  it("retries after a fractional Retry delay instead of dead-lettering the retry", async () => {
    // Given an actor that asks for a retry in 7.4 ms once (a delay computed with Math.random)
    const { broker } = retryBroker({ minBackoffMs: 1000 });
    const { actor, retriesSeen } = flaky(broker, (n) => (n === 1 ? new Retry({ delayMs: 7.4 }) : undefined));
    const worker = await pool.start(broker);

    // When it runs
    await actor.send();
    await drain(broker);
    await worker.join();

    // Then I expect the retry to run and succeed, nothing dead-lettered
    expect(retriesSeen).toEqual([0, 1]);
    expect(broker.deadLetters("default")).toEqual([]);
  });
});
