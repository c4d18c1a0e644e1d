import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { RateLimitExceeded } from "../../src/errors.js";
import type { Middleware } from "../../src/middleware/middleware.js";
import { Retries } from "../../src/middleware/retries.js";
import { Barrier } from "../../src/rate-limits/barrier.js";
import { ConcurrentRateLimiter } from "../../src/rate-limits/concurrent.js";
import { PostgresRateLimiterBackend } from "../../src/rate-limits/postgres.js";
import { WindowRateLimiter } from "../../src/rate-limits/window.js";
import { requirePostgres, TEST_DATABASE_URL } from "../helpers/postgres.js";
import { deferred, quietLogger, sleep, workerPool } from "../unit/helpers.js";

const available = await requirePostgres();
// Every table of this file lives in its own schema, dropped at the end.
const schema = `opsq_rl_test_${randomBytes(6).toString("hex")}`;
const tablePrefix = `${schema}.rl`;

/** A fresh key, so tests never share limiter state. */
function freshKey(name: string): string {
  return `${name}-${randomBytes(4).toString("hex")}`;
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}

describe.skipIf(!available)("PostgresRateLimiterBackend (live PostgreSQL)", () => {
  let admin: postgres.Sql;
  // One backend per simulated process, each with its own connection pool.
  const processes: PostgresRateLimiterBackend[] = [];
  const pool = workerPool();

  function newProcess(): PostgresRateLimiterBackend {
    const backend = new PostgresRateLimiterBackend({
      url: TEST_DATABASE_URL,
      tablePrefix,
      pollIntervalMs: 20,
    });
    processes.push(backend);
    return backend;
  }

  beforeAll(async () => {
    admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin`create schema ${admin(schema)}`;
  });

  afterEach(() => pool.stopAll());

  afterAll(async () => {
    await Promise.all(processes.map((backend) => backend.close()));
    if (admin !== undefined) {
      await admin`drop schema if exists ${admin(schema)} cascade`;
      await admin.end({ timeout: 1 });
    }
  });

  it("creates its three tables on first use, in the prefix's schema", async () => {
    const backend = newProcess();
    expect(await backend.addHolder(freshKey("first"), "t", 1, 1_000)).toBe(true);
    const tables = await admin<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = ${schema} order by table_name`;
    expect(tables.map((t) => t.table_name)).toEqual(["rl_barriers", "rl_hits", "rl_holders"]);
    const columns = await admin`
      select column_name, data_type from information_schema.columns
      where table_schema = ${schema} and table_name = 'rl_holders' order by column_name`;
    expect(columns.map((c) => [c.column_name, c.data_type])).toEqual([
      ["expires_at", "timestamp with time zone"],
      ["holders", "jsonb"],
      ["key", "text"],
    ]);
  });

  it("never lets concurrent acquirers in several processes exceed the limit", async () => {
    // Given 4 processes sharing a limit of 3, and 40 jobs that each retry until they ran once
    const key = freshKey("concurrent");
    const limiters = [1, 2, 3, 4].map(
      () => new ConcurrentRateLimiter({ backend: newProcess(), key, limit: 3, ttlMs: 60_000 }),
    );
    let inside = 0;
    let mostInside = 0;
    let ran = 0;
    const job = async (limiter: ConcurrentRateLimiter) => {
      for (;;) {
        const { acquired } = await limiter.acquire(
          async () => {
            inside += 1;
            mostInside = Math.max(mostInside, inside);
            await sleep(2);
            inside -= 1;
            ran += 1;
          },
          { raiseOnFailure: false },
        );
        if (acquired) {
          return;
        }
        await sleep(1);
      }
    };

    // When they all run at once
    await Promise.all(Array.from({ length: 40 }, (_, i) => job(limiters[i % 4]!)));

    // Then I expect every job to have run, never more than 3 at a time, and no holder left
    expect(ran).toBe(40);
    expect(mostInside).toBeGreaterThanOrEqual(1);
    expect(mostInside).toBeLessThanOrEqual(3);
    const [row] = await admin`select holders from ${admin(`${tablePrefix}_holders`)} where key = ${key}`;
    expect(row?.holders).toEqual({});
  });

  it("refuses exactly the acquirers beyond the limit while it is held, from any process", async () => {
    // Given 3 holders of a limit of 3, in 3 processes
    const key = freshKey("held");
    const limiters = [1, 2, 3].map(() => new ConcurrentRateLimiter({ backend: newProcess(), key, limit: 3 }));
    const gate = deferred();
    const entered: number[] = [];
    const holding = limiters.map((limiter, i) =>
      limiter.acquire(async () => {
        entered.push(i);
        await gate.promise;
      }),
    );
    await eventually(async () => entered.length === 3);

    // When each process tries once more
    const attempts = await Promise.all(
      limiters.map((limiter) => limiter.acquire(() => "ran").catch((e: unknown) => e)),
    );

    // Then I expect RateLimitExceeded for all, and a slot again once the holders finish
    for (const attempt of attempts) {
      expect(attempt).toBeInstanceOf(RateLimitExceeded);
    }
    gate.resolve();
    await Promise.all(holding);
    expect(await limiters[0]!.acquire(() => "ran")).toBe("ran");
  });

  it("is an exclusive distributed mutex with limit 1", async () => {
    // Given 4 processes and a read-modify-write that loses updates unless it is exclusive
    const key = freshKey("mutex");
    const mutexes = [1, 2, 3, 4].map(() => new ConcurrentRateLimiter({ backend: newProcess(), key }));
    let counter = 0;
    const increment = async (mutex: ConcurrentRateLimiter) => {
      for (;;) {
        const { acquired } = await mutex.acquire(
          async () => {
            const seen = counter;
            await sleep(1);
            counter = seen + 1;
          },
          { raiseOnFailure: false },
        );
        if (acquired) {
          return;
        }
        await sleep(1);
      }
    };

    // When 20 increments race
    await Promise.all(Array.from({ length: 20 }, (_, i) => increment(mutexes[i % 4]!)));

    // Then I expect none lost
    expect(counter).toBe(20);
  });

  it("reclaims the slot of a crashed holder once its TTL lapses, and only its own token releases it", async () => {
    // Given a process that took the mutex for 500 ms, then died without releasing it
    const key = freshKey("crash");
    const crashed = newProcess();
    expect(await crashed.addHolder(key, "crashed-token", 1, 500)).toBe(true);
    await crashed.close();
    const survivor = newProcess();
    const mutex = new ConcurrentRateLimiter({ backend: survivor, key });

    // When another process releases a token that is not the holder's
    await survivor.removeHolder(key, "some-other-token");

    // Then I expect the mutex still held, and free once the crashed holder's TTL lapsed
    expect(await mutex.acquire(() => "early", { raiseOnFailure: false })).toEqual({ acquired: false });
    await eventually(async () => (await mutex.acquire(() => "late", { raiseOnFailure: false })).acquired);
  });

  it("allows exactly `limit` hits per window across processes", async () => {
    // Given 3 processes sharing 5 hits per minute
    const key = freshKey("window");
    const limiters = [1, 2, 3].map(
      () => new WindowRateLimiter({ backend: newProcess(), key, limit: 5, windowMs: 60_000 }),
    );

    // When 12 acquisitions race
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => limiters[i % 3]!.acquire(() => i, { raiseOnFailure: false })),
    );

    // Then I expect exactly 5 to run
    expect(outcomes.filter((o) => o.acquired)).toHaveLength(5);
    await expect(limiters[0]!.acquire(() => 0)).rejects.toBeInstanceOf(RateLimitExceeded);
  });

  it("slides the window by whole seconds and keeps only the live seconds", async () => {
    // Given a limit of 2 per second, used up
    const key = freshKey("slide");
    const backend = newProcess();
    const limiter = new WindowRateLimiter({ backend, key, limit: 2, windowMs: 1_000 });
    await eventually(async () => !(await limiter.acquire(() => 1, { raiseOnFailure: false })).acquired);

    // When the next second starts, Then I expect hits again
    await eventually(async () => (await limiter.acquire(() => 1, { raiseOnFailure: false })).acquired);
    const [row] = await admin`select hits from ${admin(`${tablePrefix}_hits`)} where key = ${key}`;
    expect(Object.keys(row?.hits as object)).toHaveLength(1);
  });

  it("releases a barrier's parties in different processes", async () => {
    // Given a barrier of 3 parties created by one process
    const key = freshKey("barrier");
    const [a, b, c] = [1, 2, 3].map(() => new Barrier({ backend: newProcess(), key, ttlMs: 60_000 }));
    expect(await a!.create(3)).toBe(true);
    expect(await b!.create(3)).toBe(false);

    // When the first arrives without blocking and the two others block
    expect(await a!.wait({ block: false })).toBe(false);
    const waits = [b!.wait({ timeoutMs: 30_000 }), c!.wait({ timeoutMs: 30_000 })];

    // Then I expect both to be released
    expect(await Promise.all(waits)).toEqual([true, true]);
    expect(await a!.wait({ block: false })).toBe(true);
  });

  it("times out a blocked party, and stops polling when its signal aborts", async () => {
    const key = freshKey("barrier-timeout");
    const barrier = new Barrier({ backend: newProcess(), key });
    await barrier.create(3);
    expect(await barrier.wait({ timeoutMs: 100 })).toBe(false);
    await expect(barrier.wait({ signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: "TimeoutError",
    });
  });

  it("purges lapsed rows, and leaves a client it was given open", async () => {
    // Given a backend on the test's own client, with lapsed state under three keys
    const backend = new PostgresRateLimiterBackend({ sql: admin, tablePrefix });
    const key = freshKey("purge");
    await backend.addHolder(key, "t", 1, 1);
    await backend.createBarrier(key, 2, 1);
    await sleep(20);

    // When I purge and close it
    const deleted = await backend.purgeExpired();
    await backend.close();

    // Then I expect the rows gone and the client still usable
    expect(deleted).toBeGreaterThanOrEqual(2);
    expect(await admin`select 1 from ${admin(`${tablePrefix}_holders`)} where key = ${key}`).toHaveLength(0);
    expect(await admin`select 1 from ${admin(`${tablePrefix}_barriers`)} where key = ${key}`).toHaveLength(0);
  });

  it("retries an actor's rate-limited messages until they all ran, one at a time", async () => {
    // Given an actor guarded by a PostgreSQL mutex, a worker running 4 at a time
    const key = freshKey("actor");
    const mutex = new ConcurrentRateLimiter({ backend: newProcess(), key });
    let rateLimited = 0;
    const refused = deferred();
    const recorder: Middleware = {
      afterProcessMessage: (_broker, _message, outcome) => {
        if (outcome.error instanceof RateLimitExceeded) {
          rateLimited += 1;
          refused.resolve();
        }
      },
    };
    const broker = new StubBroker({
      middleware: [recorder, new Retries({ minBackoffMs: 5, maxBackoffMs: 20 })],
      logger: quietLogger(),
    });
    let inside = 0;
    let mostInside = 0;
    const done: number[] = [];
    const work = defineActor(
      "work",
      (n: number) =>
        mutex.acquire(async () => {
          inside += 1;
          mostInside = Math.max(mostInside, inside);
          // The first holder keeps the mutex until another message was refused.
          await refused.promise;
          await sleep(2);
          inside -= 1;
          done.push(n);
        }),
      { broker, maxRetries: 1_000 },
    );
    const worker = await pool.start(broker, { concurrency: 4 });

    // When 6 messages are sent at once
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => work.send(n)));
    await broker.join("default", { timeoutMs: 60_000 });
    await worker.join();

    // Then I expect all to have run, one at a time, some of them after RateLimitExceeded
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mostInside).toBe(1);
    expect(rateLimited).toBeGreaterThan(0);
    expect(broker.deadLetters("default")).toEqual([]);
  });
});
