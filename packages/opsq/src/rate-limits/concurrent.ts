/**
 * A limit on how many holders of a key run at the same time (a distributed
 * mutex when the limit is 1).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { RateLimiterBackend } from "./backend.js";
import { RateLimiter, type Release } from "./rate-limiter.js";
import { checkWhole } from "./validate.js";

/** Options of {@link ConcurrentRateLimiter}. */
export interface ConcurrentRateLimiterOptions {
  /** Where the holders are kept (shared by every process that must respect the limit). */
  backend: RateLimiterBackend;
  /** The key: limiters with the same key share the limit (1–255 characters). */
  key: string;
  /** Holders allowed at a time. @default 1 */
  limit?: number;
  /**
   * How long a holder keeps its slot at most: a holder that crashed (or runs
   * longer) loses its slot after this long, so it cannot block the key forever.
   * Set it above the longest run of `fn`.
   * @default 900000 (15 min)
   */
  ttlMs?: number;
}

/**
 * Allows at most `limit` concurrent holders of `key` across every process
 * sharing the backend (Dramatiq's `ConcurrentRateLimiter`). With `limit: 1`
 * it is a distributed mutex. Each acquisition holds a unique token, so only it
 * can release its own slot.
 *
 * @example
 * ```ts
 * const backend = new PostgresRateLimiterBackend({ url: process.env.DATABASE_URL });
 * const distributedMutex = new ConcurrentRateLimiter({ backend, key: "reindex", limit: 1 });
 * const reindex = defineActor("reindex", () => distributedMutex.acquire(() => rebuildIndex()));
 * ```
 */
export class ConcurrentRateLimiter extends RateLimiter {
  /** How long a holder keeps its slot at most. */
  readonly ttlMs: number;

  /** @param options the backend, key, limit and holder TTL */
  constructor(options: ConcurrentRateLimiterOptions) {
    const owner = "ConcurrentRateLimiter";
    super(owner, options.backend, options.key, checkWhole(owner, "limit", options.limit ?? 1, 1));
    this.ttlMs = checkWhole(owner, "ttlMs", options.ttlMs ?? 900_000, 1);
  }

  protected async take(): Promise<{ granted: false } | { granted: true; release: Release }> {
    const token = randomUUID();
    if (!(await this.backend.addHolder(this.key, token, this.limit, this.ttlMs))) {
      return { granted: false };
    }
    return { granted: true, release: () => this.backend.removeHolder(this.key, token) };
  }

  protected describeLimit(): string {
    return `concurrent rate limit of ${this.limit} at a time reached for key ${JSON.stringify(this.key)}`;
  }
}
