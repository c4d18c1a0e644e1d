/**
 * A limit on how many times a key may be acquired within a sliding window.
 *
 * @module
 */
import type { RateLimiterBackend } from "./backend.js";
import { RateLimiter, type Release } from "./rate-limiter.js";
import { checkWhole, checkWindowMs } from "./validate.js";

/** Options of {@link WindowRateLimiter}. */
export interface WindowRateLimiterOptions {
  /** Where the hits are kept (shared by every process that must respect the limit). */
  backend: RateLimiterBackend;
  /** The key: limiters with the same key share the limit (1–255 characters). */
  key: string;
  /** Acquisitions allowed per window. */
  limit: number;
  /** The window, a whole number of seconds in milliseconds (1000, 60000, …). */
  windowMs: number;
}

/**
 * Allows at most `limit` acquisitions of `key` in any `windowMs`, across every
 * process sharing the backend (Dramatiq's `WindowRateLimiter`). The window
 * slides in whole seconds: an acquisition counts against the current second
 * and the `windowMs / 1000 - 1` seconds before it. Nothing is released: a slot
 * frees up when its second leaves the window.
 *
 * @example
 * ```ts
 * // At most 10 calls to the partner API per minute, over all workers.
 * const partnerApi = new WindowRateLimiter({ backend, key: "partner-api", limit: 10, windowMs: 60_000 });
 * const push = defineActor("push", (id: string) => partnerApi.acquire(() => partner.push(id)));
 * ```
 */
export class WindowRateLimiter extends RateLimiter {
  /** The window, in milliseconds (whole seconds). */
  readonly windowMs: number;

  /** @param options the backend, key, limit and window */
  constructor(options: WindowRateLimiterOptions) {
    const owner = "WindowRateLimiter";
    super(owner, options.backend, options.key, checkWhole(owner, "limit", options.limit, 1));
    this.windowMs = checkWindowMs(owner, options.windowMs);
  }

  protected async take(): Promise<{ granted: false } | { granted: true; release: Release }> {
    const granted = await this.backend.addHit(this.key, this.limit, this.windowMs);
    return granted ? { granted: true, release: undefined } : { granted: false };
  }

  protected describeLimit(): string {
    return `window rate limit of ${this.limit} per ${this.windowMs} ms reached for key ${JSON.stringify(this.key)}`;
  }
}
