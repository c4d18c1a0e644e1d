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
 * `maxBackoffMs * uniform(0.5, 1)`. Never NaN, never below 0, never above
 * `Number.MAX_SAFE_INTEGER`: a bound that is not a finite number ≥ 0 counts as 0 (min) or no
 * bound (max), and an `n` that is not a finite number as 0.
 */
export function computeBackoff(n: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const minBackoffMs = validBound(options.minBackoffMs) ?? 0;
  const maxBackoffMs = validBound(options.maxBackoffMs) ?? Number.MAX_SAFE_INTEGER;
  const exponent = Number.isFinite(n) ? Math.min(Math.max(n, 0), 32) : 0;
  const backoff = minBackoffMs * 2 ** exponent * (1 + random());
  const delay = backoff > maxBackoffMs ? maxBackoffMs * (0.5 + random() / 2) : backoff;
  return Number.isFinite(delay) ? Math.min(Math.max(Math.round(delay), 0), Number.MAX_SAFE_INTEGER) : 0;
}

function validBound(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
