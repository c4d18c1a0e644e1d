/**
 * A distributed barrier: parties arrive, and all of them learn when the last
 * one has.
 *
 * @module
 */
import type { RateLimiterBackend } from "./backend.js";
import { checkKey, checkTimeout, checkWhole } from "./validate.js";

/** Options of {@link Barrier}. */
export interface BarrierOptions {
  /** Where the barrier is kept (shared by every party). */
  backend: RateLimiterBackend;
  /** The barrier's key (1–255 characters); use a fresh one (e.g. a UUID) per barrier. */
  key: string;
  /** The barrier lapses this long after its creation or its last arrival. @default 900000 (15 min) */
  ttlMs?: number;
}

/** Options of {@link Barrier.wait}. */
export interface BarrierWaitingOptions {
  /** Wait for the other parties (`true`), or only count this arrival (`false`). @default true */
  block?: boolean;
  /** With `block`, give up after this many milliseconds. @default no limit (until cleared or lapsed) */
  timeoutMs?: number;
  /** With `block`, stop waiting when aborted (e.g. the actor's `getContext().signal`). */
  signal?: AbortSignal;
}

/** Largest party count (a PostgreSQL `integer`). */
const MAX_PARTIES = 2_147_483_647;

/**
 * A barrier shared by every process using the same backend (Dramatiq's
 * `Barrier`). One party creates it for `parties` arrivals; each party then
 * calls `wait()` once. The arrival that completes the count clears the barrier
 * and releases the blocked waiters.
 *
 * @example
 * ```ts
 * const barrier = new Barrier({ backend, key: `import-${batchId}` });
 * await barrier.create(3);                              // true: created (false: it already exists)
 * await barrier.wait({ block: false });                 // false: 2 more expected
 * await barrier.wait({ block: true, timeoutMs: 5000 }); // true once the third party arrives
 * ```
 */
export class Barrier {
  /** Where the barrier is kept. */
  readonly backend: RateLimiterBackend;
  /** The barrier's key. */
  readonly key: string;
  /** How long the barrier lives after its creation or last arrival. */
  readonly ttlMs: number;

  /** @param options the backend, key and TTL */
  constructor(options: BarrierOptions) {
    this.backend = options.backend;
    this.key = checkKey("Barrier", options.key);
    this.ttlMs = checkWhole("Barrier", "ttlMs", options.ttlMs ?? 900_000, 1);
  }

  /**
   * Creates the barrier for `parties` arrivals, unless a live barrier with this key exists.
   * @returns whether it was created
   */
  create(parties: number): Promise<boolean> {
    checkWhole("Barrier", "parties", parties, 1, MAX_PARTIES);
    return this.backend.createBarrier(this.key, parties, this.ttlMs);
  }

  /**
   * Counts this party's arrival; with `block`, then waits for the others.
   *
   * @returns `true` when every party has arrived: this arrival was the last, or
   * (blocking) the last one came before the timeout. As in Dramatiq, arriving at
   * a barrier that does not exist (never created, or lapsed) also returns
   * `true`. `false` when parties are still expected (not blocking), at the
   * timeout, or when the barrier lapses while waiting.
   */
  async wait(options: BarrierWaitingOptions = {}): Promise<boolean> {
    const { block = true, signal } = options;
    const timeoutMs = checkTimeout("Barrier", options.timeoutMs);
    if (await this.backend.arriveAtBarrier(this.key, this.ttlMs)) {
      return true;
    }
    if (!block) {
      return false;
    }
    return this.backend.waitForBarrier(this.key, { timeoutMs, signal });
  }
}
