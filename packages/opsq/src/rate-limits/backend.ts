/**
 * Rate limiter backends: where the state of concurrent limiters (holders),
 * window limiters (hits per second) and barriers (parties still expected) is
 * kept, so that every worker process sharing a backend sees the same limits.
 *
 * @module
 */

/** Options of {@link RateLimiterBackend.waitForBarrier}. */
export interface BarrierWaitOptions {
  /** Give up (resolve `false`) after this many milliseconds; unset waits until cleared or gone. */
  timeoutMs?: number | undefined;
  /** Stop waiting when aborted (the promise rejects with the signal's reason). */
  signal?: AbortSignal | undefined;
}

/**
 * The operations the limiters need. Each one is atomic on its own, so any
 * number of limiters in any number of processes can share a backend.
 * Keys of the three kinds live apart: a concurrent limiter, a window limiter
 * and a barrier may use the same key without interfering.
 */
export interface RateLimiterBackend {
  /**
   * Adds the holder `token` to `key` if `key` has fewer than `limit` live
   * holders; the holder lapses after `ttlMs` unless removed first.
   * @returns whether the holder was added
   */
  addHolder(key: string, token: string, limit: number, ttlMs: number): Promise<boolean>;
  /** Removes the holder `token` of `key` (nothing happens if it is not there, e.g. it lapsed). */
  removeHolder(key: string, token: string): Promise<void>;
  /**
   * Counts one hit on `key` if the hits of the last `windowMs / 1000` whole
   * seconds (the current one included) are fewer than `limit`.
   * @returns whether the hit was counted
   */
  addHit(key: string, limit: number, windowMs: number): Promise<boolean>;
  /**
   * Creates the barrier `key` expecting `parties` arrivals, unless a live one
   * exists. It lapses `ttlMs` after its creation or last arrival.
   * @returns whether it was created
   */
  createBarrier(key: string, parties: number, ttlMs: number): Promise<boolean>;
  /**
   * Counts one arrival at the barrier `key` (and renews its `ttlMs`).
   * @returns `true` when the barrier is cleared: this arrival was the last one
   * expected, or it was already cleared, or there is no live barrier `key`
   */
  arriveAtBarrier(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Waits until the barrier `key` is cleared.
   * @returns `true` once cleared; `false` at the timeout, or when there is no
   * live barrier `key` (never created, or lapsed)
   */
  waitForBarrier(key: string, options?: BarrierWaitOptions): Promise<boolean>;
  /** Releases connections (a no-op for the memory backend). */
  close(): Promise<void>;
}
