import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { getContext } from "../../../src/context.js";
import { TimeLimitExceeded } from "../../../src/errors.js";
import type { Middleware } from "../../../src/middleware/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import { TimeLimit } from "../../../src/middleware/time-limit.js";
import { captureLogger, deferred, quietLogger, sleep, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function stubBroker(middleware: Middleware[]): StubBroker {
  return new StubBroker({ middleware, logger: quietLogger() });
}

/** Resolves with the signal's reason once it is aborted. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason)));
}

describe("TimeLimit", () => {
  it("aborts the signal with TimeLimitExceeded at the limit and fails the attempt", async () => {
    // Given an actor with a 30 ms limit that waits for its signal
    const broker = stubBroker([new TimeLimit()]);
    const reasons: unknown[] = [];
    let startedAt = 0;
    let abortedAt = 0;
    const slow = defineActor(
      "slow",
      async () => {
        startedAt = Date.now();
        reasons.push(await aborted(getContext().signal));
        abortedAt = Date.now();
      },
      { broker, timeLimitMs: 30 },
    );
    const worker = await pool.start(broker);

    // When it runs
    await slow.send();
    await broker.join("default");
    await worker.join();

    // Then I expect the signal aborted near the limit and the message dead-lettered with the same error
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(TimeLimitExceeded);
    expect(reasons[0]).toMatchObject({ timeLimitMs: 30 });
    expect(abortedAt - startedAt).toBeGreaterThanOrEqual(25);
    expect(abortedAt - startedAt).toBeLessThan(500);
    const [dead] = broker.deadLetters("default");
    expect(dead!.reason).toBe(reasons[0]);
  });

  it("lets Retries retry an attempt that ran out of time", async () => {
    // Given a limit of 20 ms, one retry allowed, and a handler slow only on its first attempt
    const broker = stubBroker([
      new TimeLimit({ timeLimitMs: 20 }),
      new Retries({ maxRetries: 1, minBackoffMs: 1 }),
    ]);
    const attempts: number[] = [];
    const slowOnce = defineActor(
      "slow_once",
      async () => {
        const { retries, signal } = getContext();
        attempts.push(retries);
        if (retries === 0) {
          await aborted(signal);
        }
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When it runs
    await slowOnce.send();
    await broker.join("default");
    await worker.join();

    // Then I expect a retry that succeeds
    expect(attempts).toEqual([0, 1]);
    expect(broker.deadLetters("default")).toEqual([]);
  });

  it("frees the slot even when the handler ignores the signal", async () => {
    // Given one slot, and an actor whose first message never finishes nor looks at its signal
    const broker = stubBroker([new TimeLimit({ timeLimitMs: 30 })]);
    let stuckFinished = false;
    const done: number[] = [];
    const job = defineActor(
      "job",
      async (n: number) => {
        if (n === 1) {
          await new Promise(() => {});
          stuckFinished = true;
        }
        done.push(n);
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1 });

    // When the stuck message is followed by another
    await job.send(1);
    await job.send(2);
    await broker.join("default");
    await worker.join();

    // Then I expect the second done while the first is still stuck, and the first failed
    expect(done).toEqual([2]);
    expect(stuckFinished).toBe(false);
    expect(broker.deadLetters("default").map((d) => d.reason)).toEqual([expect.any(TimeLimitExceeded)]);
    expect(worker.stats).toMatchObject({ running: 0, acked: 1, nacked: 1 });
  });

  it.each([
    ["the message option", 10, 5000, 10],
    ["the actor option", undefined, 15, 15],
    ["the middleware default", undefined, undefined, 20],
  ])("takes the limit from %s first", async (_source, messageMs, actorMs, expected) => {
    // Given a limit set at several levels, with a middleware default of 20 ms
    const broker = stubBroker([new TimeLimit({ timeLimitMs: 20 })]);
    const reasons: unknown[] = [];
    const slow = defineActor(
      "slow",
      async () => {
        reasons.push(await aborted(getContext().signal));
      },
      { broker, ...(actorMs === undefined ? {} : { timeLimitMs: actorMs }) },
    );
    const worker = await pool.start(broker);

    // When it runs
    await slow.sendWithOptions(messageMs === undefined ? {} : { timeLimitMs: messageMs });
    await broker.join("default");
    await worker.join();

    // Then I expect the winning limit
    expect(reasons).toEqual([expect.objectContaining({ timeLimitMs: expected })]);
  });

  it("warns when a synchronous handler overran its limit unaborted, naming the overrun and isolation", async () => {
    // Given a synchronous actor that holds the event loop 150 ms against a 50 ms limit
    const { logger, lines } = captureLogger();
    const broker = new StubBroker({ middleware: [new TimeLimit({ timeLimitMs: 50 })], logger });
    const spin = defineActor(
      "spin",
      () => {
        const end = Date.now() + 150;
        while (Date.now() < end) {
          // busy: a CPU-bound handler
        }
        return 1;
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When it runs
    await spin.send();
    await broker.join("default");
    await worker.join();

    // Then I expect it acked (it could not be stopped) and one warning naming the overrun
    expect(worker.stats.acked).toBe(1);
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/overran its time limit of 50 ms by \d+ ms/);
    expect(warnings[0]!.msg).toContain("isolation");
    expect(warnings[0]!.timeLimitMs).toBe(50);
    expect(warnings[0]!.overrunMs).toBeGreaterThanOrEqual(50);
  });

  it("does not abort an attempt that finished in time", async () => {
    // Given a fast actor with a 20 ms limit that keeps its signal
    const broker = stubBroker([new TimeLimit({ timeLimitMs: 20 })]);
    const signals: AbortSignal[] = [];
    const fast = defineActor("fast", async () => void signals.push(getContext().signal), { broker });
    const worker = await pool.start(broker);

    // When it runs and the limit passes
    await fast.send();
    await broker.join("default");
    await worker.join();
    await sleep(40);

    // Then I expect its signal never aborted
    expect(signals[0]!.aborted).toBe(false);
    expect(worker.stats.acked).toBe(1);
  });

  it("keeps a limit per attempt when attempts overlap", async () => {
    // Given two concurrent attempts with different limits
    const broker = stubBroker([new TimeLimit()]);
    const released = deferred();
    const reasons: Record<number, unknown> = {};
    const job = defineActor(
      "job",
      async (n: number) => {
        const { signal } = getContext();
        reasons[n] = await Promise.race([aborted(signal), released.promise.then(() => "released")]);
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 2 });

    // When one has 10 ms and the other 10 s
    await job.sendWithOptions({ args: [1], timeLimitMs: 10 });
    await job.sendWithOptions({ args: [2], timeLimitMs: 10_000 });
    await sleep(40);
    released.resolve();
    await broker.join("default");
    await worker.join();

    // Then I expect only the first aborted
    expect(reasons[1]).toBeInstanceOf(TimeLimitExceeded);
    expect(reasons[2]).toBe("released");
  });

  it("aborts each attempt sharing a limit at its own deadline, and one finished early never", async () => {
    // Given a 60 ms limit and three attempts started 30 ms apart, the middle one finishing at once
    const broker = stubBroker([new TimeLimit({ timeLimitMs: 60 })]);
    const started: Record<number, number> = {};
    const abortedAfter: Record<number, number> = {};
    const job = defineActor(
      "job",
      async (n: number) => {
        started[n] = performance.now();
        if (n === 2) {
          return;
        }
        await aborted(getContext().signal);
        abortedAfter[n] = performance.now() - started[n]!;
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 3 });

    // When they are sent one after another
    await job.send(1);
    await sleep(30);
    await job.send(2);
    await sleep(30);
    await job.send(3);
    await broker.join("default");
    await worker.join();

    // Then I expect the first and the third aborted about 60 ms after their own start, the second acked
    expect(Object.keys(abortedAfter).sort()).toEqual(["1", "3"]);
    for (const n of [1, 3]) {
      expect(abortedAfter[n]).toBeGreaterThanOrEqual(55);
      expect(abortedAfter[n]).toBeLessThan(500);
    }
    expect(worker.stats).toMatchObject({ acked: 1, nacked: 2 });
  });
});
