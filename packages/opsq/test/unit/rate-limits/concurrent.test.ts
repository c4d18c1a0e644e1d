import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { getContext } from "../../../src/context.js";
import { RateLimitExceeded, UnrecoverableError } from "../../../src/errors.js";
import { getLogger, setLogger } from "../../../src/logger.js";
import type { Middleware } from "../../../src/middleware/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import type { RateLimiterBackend } from "../../../src/rate-limits/backend.js";
import { ConcurrentRateLimiter } from "../../../src/rate-limits/concurrent.js";
import { MemoryRateLimiterBackend } from "../../../src/rate-limits/memory.js";
import type { AcquireResult } from "../../../src/rate-limits/rate-limiter.js";
import { captureLogger, deferred, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

describe("ConcurrentRateLimiter", () => {
  it("runs fn and returns its result, releasing the slot afterwards", async () => {
    const backend = new MemoryRateLimiterBackend();
    const mutex = new ConcurrentRateLimiter({ backend, key: "k" });
    expect(await mutex.acquire(() => 42)).toBe(42);
    expect(await mutex.acquire(async () => "again")).toBe("again");
  });

  it("throws RateLimitExceeded without running fn while the limit is held", async () => {
    // Given a limit of 2, both held
    const backend = new MemoryRateLimiterBackend();
    const limiter = new ConcurrentRateLimiter({ backend, key: "k", limit: 2 });
    const release = deferred();
    const holders = [limiter.acquire(() => release.promise), limiter.acquire(() => release.promise)];
    await new Promise((resolve) => setImmediate(resolve));

    // When a third acquires
    let ran = false;
    const error = await limiter.acquire(() => (ran = true)).catch((e: unknown) => e);

    // Then I expect RateLimitExceeded, a retryable error naming the key and limit, and fn not run
    expect(error).toBeInstanceOf(RateLimitExceeded);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error).toMatchObject({ key: "k", limit: 2, name: "RateLimitExceeded" });
    expect((error as Error).message).toBe('concurrent rate limit of 2 at a time reached for key "k"');
    expect(ran).toBe(false);

    // And once the holders finish, a slot again
    release.resolve();
    await Promise.all(holders);
    expect(await limiter.acquire(() => "free")).toBe("free");
  });

  it("with raiseOnFailure false resolves { acquired } instead of throwing", async () => {
    const backend = new MemoryRateLimiterBackend();
    const mutex = new ConcurrentRateLimiter({ backend, key: "k" });
    const release = deferred();
    const holding = mutex.acquire(() => release.promise.then(() => "held"), { raiseOnFailure: false });
    await new Promise((resolve) => setImmediate(resolve));

    const refused = await mutex.acquire(() => 1, { raiseOnFailure: false });
    release.resolve();

    expect(refused).toEqual({ acquired: false });
    expect(await holding).toEqual({ acquired: true, value: "held" });
    expectTypeOf(refused).toEqualTypeOf<AcquireResult<number>>();
    expectTypeOf(mutex.acquire(() => 1)).toEqualTypeOf<Promise<number>>();
  });

  it("releases the slot when fn throws, and re-throws fn's error", async () => {
    const backend = new MemoryRateLimiterBackend();
    const mutex = new ConcurrentRateLimiter({ backend, key: "k" });
    await expect(
      mutex.acquire(() => {
        throw new TypeError("boom");
      }),
    ).rejects.toThrow(TypeError);
    expect(await mutex.acquire(() => "free")).toBe("free");
  });

  it("gives each acquisition its own token, with the limiter's TTL", async () => {
    // Given a backend that records the holders it is asked to add and remove
    const memory = new MemoryRateLimiterBackend();
    const added: [string, string, number, number][] = [];
    const removed: [string, string][] = [];
    const backend: RateLimiterBackend = {
      ...bind(memory),
      addHolder: (...args) => {
        added.push(args);
        return memory.addHolder(...args);
      },
      removeHolder: (...args) => {
        removed.push(args);
        return memory.removeHolder(...args);
      },
    };
    const limiter = new ConcurrentRateLimiter({ backend, key: "k", limit: 3, ttlMs: 5_000 });

    // When it is acquired twice
    await limiter.acquire(() => undefined);
    await limiter.acquire(() => undefined);

    // Then I expect two different tokens, each removed by its own acquisition
    expect(added.map(([key, , limit, ttlMs]) => [key, limit, ttlMs])).toEqual([
      ["k", 3, 5_000],
      ["k", 3, 5_000],
    ]);
    expect(added[0]![1]).not.toBe(added[1]![1]);
    expect(removed).toEqual(added.map(([key, token]) => [key, token]));
  });

  it("returns fn's result even when the release fails (the slot lapses after ttlMs)", async () => {
    const memory = new MemoryRateLimiterBackend();
    const backend: RateLimiterBackend = {
      ...bind(memory),
      removeHolder: () => Promise.reject(new Error("database is down")),
    };
    const mutex = new ConcurrentRateLimiter({ backend, key: "k" });
    const previous = getLogger();
    const { logger, lines } = captureLogger();
    setLogger(logger);
    try {
      expect(await mutex.acquire(() => "done")).toBe("done");
    } finally {
      setLogger(previous);
    }
    expect(lines).toMatchObject([
      { key: "k", msg: "could not release a rate limiter slot; it will be reclaimed when its ttlMs lapses" },
    ]);
  });
});

describe("ConcurrentRateLimiter in an actor", () => {
  it("rate-limits a second concurrent message, which Retries retries until it succeeds", async () => {
    // Given a mutex-guarded actor, a worker running 2 messages at a time, and a recorder of failures
    const backend = new MemoryRateLimiterBackend();
    const mutex = new ConcurrentRateLimiter({ backend, key: "sync" });
    const gate = deferred();
    const rateLimited: Error[] = [];
    const recorder: Middleware = {
      afterProcessMessage: (_broker, _message, outcome) => {
        if (outcome.error instanceof RateLimitExceeded) {
          rateLimited.push(outcome.error);
          gate.resolve();
        }
      },
    };
    const broker = new StubBroker({
      middleware: [recorder, new Retries({ minBackoffMs: 1, maxBackoffMs: 5 })],
      logger: quietLogger(),
    });
    let inside = 0;
    let mostInside = 0;
    const done: { n: number; retries: number }[] = [];
    const sync = defineActor(
      "sync",
      (n: number) =>
        mutex.acquire(async () => {
          inside += 1;
          mostInside = Math.max(mostInside, inside);
          // The first holder keeps the mutex until another message was refused.
          await gate.promise;
          inside -= 1;
          done.push({ n, retries: getContext().retries });
        }),
      { broker, maxRetries: 100 },
    );
    const worker = await pool.start(broker, { concurrency: 2 });

    // When two messages are sent at once
    await sync.send(1);
    await sync.send(2);
    await broker.join("default");
    await worker.join();

    // Then I expect both to succeed, one of them on a retry, never both inside at once
    expect(done.map((d) => d.n).sort()).toEqual([1, 2]);
    expect(done.some((d) => d.retries > 0)).toBe(true);
    expect(rateLimited.length).toBeGreaterThanOrEqual(1);
    expect(mostInside).toBe(1);
    expect(broker.deadLetters("default")).toEqual([]);
    // And the mutex free again
    expect(await backend.addHolder("sync", "probe", 1, 1_000)).toBe(true);
  });
});

// The memory backend's methods, bound, so a test can override some of them.
function bind(backend: MemoryRateLimiterBackend): RateLimiterBackend {
  return {
    addHolder: backend.addHolder.bind(backend),
    removeHolder: backend.removeHolder.bind(backend),
    addHit: backend.addHit.bind(backend),
    createBarrier: backend.createBarrier.bind(backend),
    arriveAtBarrier: backend.arriveAtBarrier.bind(backend),
    waitForBarrier: backend.waitForBarrier.bind(backend),
    close: backend.close.bind(backend),
  };
}
