/**
 * Rate-limited actors. The limiters' state lives in PostgreSQL (`DATABASE_URL`), so the limits
 * hold across every worker process; without `DATABASE_URL`, in this process's memory (tests).
 *
 * Run a worker for them:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx opsq worker ./actors.ts
 */
import {
  ConcurrentRateLimiter,
  defineActor,
  getContext,
  MemoryRateLimiterBackend,
  PostgresRateLimiterBackend,
  RateLimitExceeded,
  type RateLimiterBackend,
  Retry,
  WindowRateLimiter,
} from "opsq";

/** Where the limiters keep their state: PostgreSQL when `DATABASE_URL` is set, else memory. */
export const backend: RateLimiterBackend = process.env.DATABASE_URL
  ? new PostgresRateLimiterBackend({ url: process.env.DATABASE_URL })
  : new MemoryRateLimiterBackend();

/** What the actors did, for the test (a real actor would call an API or rebuild an index). */
export const journal = { running: 0, maxRunning: 0, reindexed: [] as string[], pushedAtMs: [] as number[] };

/** One reindex at a time over all workers: a distributed mutex, held at most 60 s. */
const reindexMutex = new ConcurrentRateLimiter({ backend, key: "example-reindex", limit: 1, ttlMs: 60_000 });

/**
 * Rebuilds an index, never two at once. A refused acquire throws RateLimitExceeded, which the
 * Retries middleware retries with backoff like any error: hence the short backoff and many retries.
 */
export const reindex = defineActor(
  "rate_limits_reindex",
  (name: string) =>
    reindexMutex.acquire(async () => {
      journal.running += 1;
      journal.maxRunning = Math.max(journal.maxRunning, journal.running);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the work
      journal.running -= 1;
      journal.reindexed.push(name);
      getContext().logger.info({ name }, "reindexed");
    }),
  { queue: "example-rate-limits", maxRetries: 50, minBackoffMs: 20, maxBackoffMs: 200 },
);

/** At most 2 partner calls in any 1-second window, over all workers. */
const partnerApi = new WindowRateLimiter({ backend, key: "example-partner-api", limit: 2, windowMs: 1_000 });

/**
 * Pushes a record to a partner. When the window is full it picks its own delay (the window
 * frees a slot within a second) with `Retry`, instead of the exponential backoff.
 */
export const push = defineActor(
  "rate_limits_push",
  async (id: string) => {
    try {
      await partnerApi.acquire(async () => {
        journal.pushedAtMs.push(Date.now());
        getContext().logger.info({ id }, "pushed to the partner");
      });
    } catch (error) {
      if (error instanceof RateLimitExceeded) throw new Retry({ delayMs: 250 + Math.random() * 250 });
      throw error;
    }
  },
  { queue: "example-rate-limits", maxRetries: 20 },
);
