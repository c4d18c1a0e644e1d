/**
 * An in-process rate limiter backend, for tests and single-process use.
 *
 * @module
 */
import type { BarrierWaitOptions, RateLimiterBackend } from "./backend.js";

// setTimeout's longest delay; longer ones would fire at once.
const MAX_TIMER_MS = 2_147_483_647;

interface BarrierState {
  remaining: number;
  expiresAt: number;
}

/** Options of {@link MemoryRateLimiterBackend}. */
export interface MemoryRateLimiterBackendOptions {
  /** The clock, in milliseconds (inject one to test TTLs and windows without waiting). @default Date.now */
  now?: () => number;
}

/**
 * Keeps the limiters' state in `Map`s. Every operation runs synchronously
 * inside its promise, so it is atomic within the process; it is not shared
 * with other processes (use {@link PostgresRateLimiterBackend} for that).
 * Blocked barrier waiters wake up as soon as the last party arrives.
 */
export class MemoryRateLimiterBackend implements RateLimiterBackend {
  // key → holder token → expiry (ms)
  readonly #holders = new Map<string, Map<string, number>>();
  // key → second → hits
  readonly #hits = new Map<string, Map<number, number>>();
  readonly #barriers = new Map<string, BarrierState>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #now: () => number;

  /** @param options the clock */
  constructor(options: MemoryRateLimiterBackendOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async addHolder(key: string, token: string, limit: number, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    let holders = this.#holders.get(key);
    if (holders === undefined) {
      holders = new Map();
      this.#holders.set(key, holders);
    }
    for (const [holder, expiresAt] of holders) {
      if (expiresAt <= now) {
        holders.delete(holder);
      }
    }
    if (holders.size >= limit) {
      return false;
    }
    holders.set(token, now + ttlMs);
    return true;
  }

  async removeHolder(key: string, token: string): Promise<void> {
    const holders = this.#holders.get(key);
    if (holders?.delete(token) && holders.size === 0) {
      this.#holders.delete(key);
    }
  }

  async addHit(key: string, limit: number, windowMs: number): Promise<boolean> {
    const second = Math.floor(this.#now() / 1000);
    const oldest = second - windowMs / 1000 + 1;
    let buckets = this.#hits.get(key);
    if (buckets === undefined) {
      buckets = new Map();
      this.#hits.set(key, buckets);
    }
    let total = 0;
    for (const [bucket, hits] of buckets) {
      if (bucket < oldest) {
        buckets.delete(bucket);
      } else {
        total += hits;
      }
    }
    if (total >= limit) {
      return false;
    }
    buckets.set(second, (buckets.get(second) ?? 0) + 1);
    return true;
  }

  async createBarrier(key: string, parties: number, ttlMs: number): Promise<boolean> {
    if (this.#liveBarrier(key) !== undefined) {
      return false;
    }
    this.#barriers.set(key, { remaining: parties, expiresAt: this.#now() + ttlMs });
    return true;
  }

  async arriveAtBarrier(key: string, ttlMs: number): Promise<boolean> {
    const barrier = this.#liveBarrier(key);
    if (barrier === undefined || barrier.remaining === 0) {
      return true;
    }
    barrier.remaining -= 1;
    barrier.expiresAt = this.#now() + ttlMs;
    if (barrier.remaining > 0) {
      return false;
    }
    for (const wake of this.#waiters.get(key) ?? []) {
      wake();
    }
    return true;
  }

  async waitForBarrier(key: string, options: BarrierWaitOptions = {}): Promise<boolean> {
    const { timeoutMs, signal } = options;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const barrier = this.#liveBarrier(key);
      if (barrier === undefined || barrier.remaining === 0) {
        return barrier !== undefined;
      }
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) {
        return false;
      }
      // Wake up when cleared, at the timeout, or when the barrier would lapse (then look again).
      await this.#sleep(key, Math.min(leftMs, Math.max(0, barrier.expiresAt - this.#now())), signal);
    }
  }

  async close(): Promise<void> {}

  // Resolves after `ms`, or when the barrier `key` clears; rejects when `signal` aborts.
  async #sleep(key: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    let waiters = this.#waiters.get(key);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(key, waiters);
    }
    let wake!: () => void;
    let onAbort!: () => void;
    const woken = new Promise<void>((resolve, reject) => {
      wake = resolve;
      onAbort = () => reject(signal?.reason);
    });
    waiters.add(wake);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(wake, Math.min(ms, MAX_TIMER_MS));
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      waiters.delete(wake);
      if (waiters.size === 0) {
        this.#waiters.delete(key);
      }
    }
  }

  #liveBarrier(key: string): BarrierState | undefined {
    const barrier = this.#barriers.get(key);
    if (barrier !== undefined && barrier.expiresAt <= this.#now()) {
      this.#barriers.delete(key);
      return undefined;
    }
    return barrier;
  }
}
