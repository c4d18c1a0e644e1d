/**
 * An in-process result backend, for tests and single-process use.
 *
 * @module
 */
import { BaseResultBackend, type Lookup } from "./backend.js";

interface Entry {
  json: string;
  expiresAt: number;
}

interface Barrier {
  remaining: number;
  expiresAt: number;
  /** Members counted so far (message ids). */
  arrived: Set<string>;
  /** The member whose arrival brought `remaining` to 0. */
  releasedBy: string | undefined;
}

/**
 * Keeps results in a `Map` (values are stored as JSON, as a real backend would,
 * so a result read back is a copy). Expired entries are dropped when read, and
 * `wait` wakes up as soon as a value is stored.
 */
export class MemoryResultBackend extends BaseResultBackend {
  readonly #results = new Map<string, Entry>();
  readonly #barriers = new Map<string, Barrier>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #now: () => number;

  /** @param options `now` is the clock (for TTL tests). @default Date.now */
  constructor(options: { now?: () => number } = {}) {
    super();
    this.#now = options.now ?? Date.now;
  }

  async store(messageId: string, value: unknown, ttlMs: number): Promise<void> {
    this.#results.set(messageId, { json: JSON.stringify(value ?? null), expiresAt: this.#now() + ttlMs });
    for (const wake of this.#waiters.get(messageId) ?? []) {
      wake();
    }
  }

  async get(messageId: string): Promise<Lookup> {
    const entry = this.#results.get(messageId);
    if (entry === undefined) {
      return { found: false };
    }
    if (entry.expiresAt <= this.#now()) {
      this.#results.delete(messageId);
      return { found: false };
    }
    return { found: true, value: JSON.parse(entry.json) };
  }

  override async wait(messageId: string, timeoutMs: number): Promise<Lookup> {
    const lookup = await this.get(messageId);
    if (lookup.found || timeoutMs <= 0) {
      return lookup;
    }
    let waiters = this.#waiters.get(messageId);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(messageId, waiters);
    }
    let wake!: () => void;
    const stored = new Promise<void>((resolve) => {
      wake = resolve;
    });
    waiters.add(wake);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([stored, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    } finally {
      clearTimeout(timer);
      waiters.delete(wake);
      if (waiters.size === 0) {
        this.#waiters.delete(messageId);
      }
    }
    return this.get(messageId);
  }

  async createBarrier(groupId: string, count: number, ttlMs: number): Promise<void> {
    this.#barriers.set(groupId, {
      remaining: count,
      expiresAt: this.#now() + ttlMs,
      arrived: new Set(),
      releasedBy: undefined,
    });
  }

  async arriveAtBarrier(groupId: string, memberId: string): Promise<boolean> {
    const barrier = this.#barriers.get(groupId);
    if (barrier === undefined || barrier.expiresAt <= this.#now()) {
      this.#barriers.delete(groupId);
      return false;
    }
    if (!barrier.arrived.has(memberId)) {
      barrier.arrived.add(memberId);
      barrier.remaining -= 1;
      if (barrier.remaining === 0) {
        barrier.releasedBy = memberId;
      }
    }
    return barrier.releasedBy === memberId;
  }

  /** Forgets every result and barrier. */
  clear(): void {
    this.#results.clear();
    this.#barriers.clear();
  }

  async close(): Promise<void> {}
}
