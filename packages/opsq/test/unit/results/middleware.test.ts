import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { getContext } from "../../../src/context.js";
import { ResultFailure, ResultMissing, ResultTimeout, SkipMessage } from "../../../src/errors.js";
import { group } from "../../../src/group.js";
import type { Middleware } from "../../../src/middleware/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import { MemoryResultBackend } from "../../../src/results/memory.js";
import { getResult, Results } from "../../../src/results/middleware.js";
import { captureLogger, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function resultsBroker(options: { storeResults?: boolean; extra?: Middleware[] } = {}) {
  const backend = new MemoryResultBackend();
  const results = new Results({ backend, storeResults: options.storeResults });
  const broker = new StubBroker({
    middleware: [...(options.extra ?? []), new Retries({ minBackoffMs: 1, maxBackoffMs: 2 }), results],
    logger: quietLogger(),
  });
  return { broker, backend, results };
}

describe("Results", () => {
  it("stores a success under the message id, readable typed through getResult", async () => {
    const { broker, backend, results } = resultsBroker();
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, storeResults: true });
    await pool.start(broker);

    const sent = await add.send(1, 2);
    await broker.join("default");

    const sum: number = await getResult(sent, { backend });
    expect(sum).toBe(3);
    expect(await results.getResult(sent)).toBe(3);
    expect(await backend.getResult(sent.messageId)).toBe(3);
  });

  it("stores nothing for actors without storeResults, and per-message storeResults overrides", async () => {
    const { broker, backend } = resultsBroker();
    const add = defineActor("add", (x: number, y: number) => x + y, { broker });
    await pool.start(broker);

    const plain = await add.send(1, 2);
    const stored = await add.sendWithOptions({ args: [2, 3], storeResults: true });
    await broker.join("default");

    await expect(getResult(plain, { backend })).rejects.toBeInstanceOf(ResultMissing);
    expect(await getResult(stored, { backend })).toBe(5);
    expect(stored.options.store_results).toBe(true);
  });

  it("stores a failure only once retries are exhausted, and re-throws it as ResultFailure", async () => {
    const { broker, backend } = resultsBroker();
    let attempts = 0;
    const storedDuringAttempts: boolean[] = [];
    const flaky = defineActor(
      "flaky",
      async () => {
        storedDuringAttempts.push((await backend.get(getContext().messageId)).found);
        attempts++;
        throw new TypeError("boom");
      },
      { broker, storeResults: true, maxRetries: 2 },
    );
    const worker = await pool.start(broker);

    const sent = await flaky.send();
    await broker.join("default");
    await worker.join();

    expect(attempts).toBe(3);
    // nothing was stored by the attempts that were retried
    expect(storedDuringAttempts).toEqual([false, false, false]);
    const error = await getResult(sent, { backend }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultFailure);
    expect(error).toMatchObject({ errorType: "TypeError", errorMessage: "boom", messageId: sent.messageId });
    expect((error as Error).message).toBe(`message ${sent.messageId} failed: TypeError: boom`);
    expect(broker.deadLetters).toHaveLength(1);
  });

  it("stores the failure of an error that is not retried, whatever the middleware order", async () => {
    const backend = new MemoryResultBackend();
    const broker = new StubBroker({
      middleware: [
        new Results({ backend, storeResults: true }),
        new Retries({ minBackoffMs: 1, maxBackoffMs: 2 }),
      ],
      logger: quietLogger(),
    });
    const bad = defineActor(
      "bad",
      () => {
        throw new RangeError("no");
      },
      { broker, throws: [RangeError] },
    );
    await pool.start(broker);

    const sent = await bad.send();
    await broker.join("default");

    await expect(getResult(sent, { backend })).rejects.toMatchObject({
      errorType: "RangeError",
      errorMessage: "no",
    });
  });

  it("stores null for a skipped message, and the failure when the skip failed it", async () => {
    const skipper: Middleware = {
      beforeProcessMessage(_broker, proxy) {
        if (proxy.message.args[0] === "fail") {
          proxy.fail(new Error("rejected"));
        }
        throw new SkipMessage("skip");
      },
    };
    const { broker, backend } = resultsBroker({ storeResults: true, extra: [skipper] });
    const echo = defineActor("echo", (x: string) => x, { broker });
    await pool.start(broker);

    const skipped = await echo.send("skip");
    const failed = await echo.send("fail");
    await broker.join("default");

    expect(await getResult(skipped, { backend })).toBeNull();
    await expect(getResult(failed, { backend })).rejects.toMatchObject({ errorMessage: "rejected" });
  });

  it.each([
    [
      "a circular object",
      () => {
        const node: Record<string, unknown> = {};
        node.self = node;
        return node;
      },
    ],
    ["a bigint", () => 10n ** 20n],
  ])(
    "stores a ResultEncodeError in place of a result that cannot be encoded (%s), and logs it",
    async (_what, make) => {
      // Given an actor storing results that returns a value JSON cannot hold
      const log = captureLogger();
      const backend = new MemoryResultBackend();
      const broker = new StubBroker({ middleware: [new Results({ backend })], logger: log.logger });
      const odd = defineActor("odd", () => make(), { broker, storeResults: true });
      await pool.start(broker);

      // When it runs
      const sent = await odd.send();
      await broker.join("default");

      // Then I expect getResult to reject at once with the encode failure, and an error logged
      const failure = await getResult(sent, { backend, block: true, timeoutMs: 1_000 }).catch(
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(ResultFailure);
      expect((failure as ResultFailure).errorType).toBe("ResultEncodeError");
      expect((failure as ResultFailure).errorMessage).toContain(
        'the result of actor "odd" cannot be stored as JSON',
      );
      expect(
        log.lines.some((line) => line.msg === "result cannot be stored; its failure is stored instead"),
      ).toBe(true);
    },
  );

  it("expires results after resultTtlMs", async () => {
    let now = 1_000_000;
    const backend = new MemoryResultBackend({ now: () => now });
    const broker = new StubBroker({ middleware: [new Results({ backend })], logger: quietLogger() });
    const add = defineActor("add", (x: number, y: number) => x + y, {
      broker,
      storeResults: true,
      resultTtlMs: 1_000,
    });
    await pool.start(broker);

    const sent = await add.send(1, 2);
    await broker.join("default");
    now += 999;
    expect(await getResult(sent, { backend })).toBe(3);
    now += 1;
    await expect(getResult(sent, { backend })).rejects.toBeInstanceOf(ResultMissing);
  });

  it("waits with block until the result is stored, or times out", async () => {
    const { broker, backend } = resultsBroker();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = defineActor(
      "slow",
      async () => {
        await gate;
        return { ok: true };
      },
      { broker, storeResults: true },
    );
    await pool.start(broker);

    const sent = await slow.send();
    const timedOut = await getResult(sent, { backend, block: true, timeoutMs: 30 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(ResultTimeout);
    expect((timedOut as Error).message).toContain("within 30 ms");

    const waiting = getResult(sent, { backend, block: true, timeoutMs: 5_000 });
    release();
    expect(await waiting).toEqual({ ok: true });
  });

  it("finds the backend of the default broker's Results middleware", async () => {
    const { broker } = resultsBroker();
    const { setBroker } = await import("../../../src/broker.js");
    setBroker(broker);
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, storeResults: true });
    await pool.start(broker);
    const sent = await add.send(2, 2);
    expect(await getResult(sent, { block: true, timeoutMs: 2_000 })).toBe(4);
  });
});

describe("group", () => {
  it("collects the results of its messages in order", async () => {
    const { broker, backend } = resultsBroker();
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, storeResults: true });
    const upper = defineActor("upper", async (s: string) => s.toUpperCase(), { broker, storeResults: true });
    await pool.start(broker, { concurrency: 4 });

    const g = await group([add.message(1, 2), upper.message("a"), add.message(3, 4)], {
      broker,
      backend,
    }).run();
    const [a, b, c] = await g.getResults({ timeoutMs: 5_000 });

    expect([a, b, c]).toEqual([3, "A", 7]);
    await g.waitFor({ timeoutMs: 1_000 });
  });

  it("re-throws a member's failure from getResults", async () => {
    const { broker } = resultsBroker();
    const bad = defineActor(
      "bad",
      () => {
        throw new Error("nope");
      },
      { broker, storeResults: true, maxRetries: 0 },
    );
    await pool.start(broker);
    const g = await group([bad.message()], { broker }).run();
    await expect(g.getResults({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(ResultFailure);
  });

  it("enqueues its completion callback exactly once, after every member succeeded", async () => {
    const { broker, backend } = resultsBroker();
    const calls: string[] = [];
    let failOnce = true;
    const work = defineActor(
      "work",
      (n: number) => {
        if (n === 2 && failOnce) {
          failOnce = false;
          throw new Error("transient");
        }
        return n * 10;
      },
      { broker, storeResults: true, maxRetries: 3 },
    );
    const done = defineActor("done", (label: string) => void calls.push(label), {
      broker,
      queue: "callbacks",
    });
    await pool.start(broker, { concurrency: 8 });

    const g = await group([work.message(1), work.message(2), work.message(3), work.message(4)], { broker })
      .addCompletionCallback(done.message("all done"))
      .run();
    expect(g.groupId).toMatch(/^[0-9a-f-]{36}$/);
    expect(g.messages[0]!.options.group_completion_uuid).toBe(g.groupId);
    expect(g.messages[0]!.options.group_completion_callbacks).toEqual(
      [done.message("all done").asDict()].map((d) => ({
        ...d,
        message_id: expect.any(String),
        message_timestamp: expect.any(Number),
      })),
    );

    expect(await g.getResults({ timeoutMs: 5_000 })).toEqual([10, 20, 30, 40]);
    await broker.join("default");
    await broker.join("callbacks");

    expect(calls).toEqual(["all done"]);
    // the barrier is spent: a newcomer never releases it again
    expect(await backend.arriveAtBarrier(g.groupId!, "another-member")).toBe(false);
  });

  it("counts each member once at the barrier, so a redelivered member cannot release it early", async () => {
    // Given a barrier of two members in the memory backend
    const backend = new MemoryResultBackend();
    await backend.createBarrier("g", 2, 60_000);

    // When member a arrives twice (a redelivery after a lost ack), then b
    // Then I expect only b's arrival to release it, and a redelivery of b to release it again (at least once)
    expect(await backend.arriveAtBarrier("g", "a")).toBe(false);
    expect(await backend.arriveAtBarrier("g", "a")).toBe(false);
    expect(await backend.arriveAtBarrier("g", "b")).toBe(true);
    expect(await backend.arriveAtBarrier("g", "b")).toBe(true);
    expect(await backend.arriveAtBarrier("g", "a")).toBe(false);
  });

  it("does not fire the callback when a member fails for good", async () => {
    const { broker } = resultsBroker();
    const calls: string[] = [];
    const work = defineActor(
      "work",
      (n: number) => {
        if (n === 2) throw new Error("permanent");
        return n;
      },
      { broker, maxRetries: 0 },
    );
    const done = defineActor("done", (label: string) => void calls.push(label), { broker });
    await pool.start(broker);
    await group([work.message(1), work.message(2)], { broker })
      .addCompletionCallback(done.message("x"))
      .run();
    await broker.join("default");
    expect(calls).toEqual([]);
  });
});
