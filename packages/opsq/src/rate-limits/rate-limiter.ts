/**
 * The shared shape of the rate limiters: `acquire(fn)` runs `fn` only when the
 * limiter grants a slot, and releases the slot afterwards.
 *
 * @module
 */
import { RateLimitExceeded } from "../errors.js";
import { getLogger } from "../logger.js";
import type { RateLimiterBackend } from "./backend.js";
import { checkKey } from "./validate.js";

/** What `acquire(fn, { raiseOnFailure: false })` resolves to: `fn`'s result, or that it did not run. */
export type AcquireResult<T> =
  | { readonly acquired: true; readonly value: T }
  | { readonly acquired: false; readonly value?: undefined };

/** Options of {@link RateLimiter.acquire}. */
export interface AcquireOptions {
  /**
   * When the limit is reached: `true` throws {@link RateLimitExceeded} (inside an
   * actor, Retries retries the message with backoff); `false` resolves
   * `{ acquired: false }` instead.
   * @default true
   */
  raiseOnFailure?: boolean;
}

/** A granted slot: how to give it back (nothing to do for window limiters). */
export type Release = (() => Promise<void>) | undefined;

/**
 * Base class of {@link ConcurrentRateLimiter} and {@link WindowRateLimiter}
 * (Dramatiq's `RateLimiter`): subclasses say how a slot is taken and released.
 */
export abstract class RateLimiter {
  /** Where the limiter's state is kept. */
  readonly backend: RateLimiterBackend;
  /** The limiter's key: limiters with the same key (and kind) share one limit. */
  readonly key: string;
  /** How many slots the key allows (at a time, or per window). */
  readonly limit: number;

  /** @param owner the class name, for errors @param backend the state @param key the shared key @param limit the limit */
  protected constructor(owner: string, backend: RateLimiterBackend, key: string, limit: number) {
    this.backend = backend;
    this.key = checkKey(owner, key);
    this.limit = limit;
  }

  /**
   * Runs `fn` if a slot is free, then releases the slot (even when `fn` throws).
   * When the limit is reached, `fn` does not run and {@link RateLimitExceeded}
   * is thrown.
   *
   * @returns `fn`'s result
   * @throws RateLimitExceeded when the limit is reached
   * @example
   * ```ts
   * const mutex = new ConcurrentRateLimiter({ backend, key: "sync-crm" });
   * const syncCrm = defineActor("sync_crm", () => mutex.acquire(() => crm.sync()));
   * ```
   */
  acquire<T>(fn: () => T | PromiseLike<T>, options?: { raiseOnFailure?: true }): Promise<T>;
  /**
   * Runs `fn` if a slot is free, then releases the slot (even when `fn` throws).
   * When the limit is reached, `fn` does not run.
   *
   * @returns `{ acquired: true, value }` with `fn`'s result, or `{ acquired: false }`
   */
  acquire<T>(fn: () => T | PromiseLike<T>, options: { raiseOnFailure: false }): Promise<AcquireResult<T>>;
  /** Either of the above, when `raiseOnFailure` is only known at run time. */
  acquire<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<T | AcquireResult<T>>;
  async acquire<T>(
    fn: () => T | PromiseLike<T>,
    options: AcquireOptions = {},
  ): Promise<T | AcquireResult<T>> {
    const raise = options.raiseOnFailure ?? true;
    const slot = await this.take();
    if (!slot.granted) {
      if (raise) {
        throw new RateLimitExceeded(this.key, this.limit, this.describeLimit());
      }
      return { acquired: false };
    }
    try {
      const value = await fn();
      return raise ? value : { acquired: true, value };
    } finally {
      await this.#release(slot.release);
    }
  }

  /** Takes a slot if one is free. */
  protected abstract take(): Promise<{ granted: false } | { granted: true; release: Release }>;

  /** The limit in words, for {@link RateLimitExceeded} (e.g. `2 at a time`). */
  protected abstract describeLimit(): string;

  // A failed release is logged, not thrown: `fn` already ran, and the slot lapses after its TTL anyway.
  async #release(release: Release): Promise<void> {
    if (release === undefined) {
      return;
    }
    try {
      await release();
    } catch (error) {
      getLogger().warn(
        { err: error, key: this.key },
        "could not release a rate limiter slot; it will be reclaimed when its ttlMs lapses",
      );
    }
  }
}
