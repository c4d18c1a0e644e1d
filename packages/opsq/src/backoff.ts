/**
 * Exponential backoff with jitter, as Dramatiq computes it.
 *
 * @module
 */

/** Bounds of the backoff and the random source (stub it in tests). */
export interface BackoffOptions {
  /** Smallest backoff, in ms. */
  minBackoffMs: number;
  /** Largest backoff, in ms. */
  maxBackoffMs: number;
  /** Uniform random number in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * The delay before retry `n` (n = retries before this failure, from 0):
 * `minBackoffMs * 2^min(n, 32) * uniform(1, 2)`; above `maxBackoffMs` it becomes
 * `maxBackoffMs * uniform(0.5, 1)`.
 */
export function computeBackoff(n: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const backoff = options.minBackoffMs * 2 ** Math.min(Math.max(n, 0), 32) * (1 + random());
  if (backoff > options.maxBackoffMs) {
    return Math.round(options.maxBackoffMs * (0.5 + random() / 2));
  }
  return Math.round(backoff);
}
