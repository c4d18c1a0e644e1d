/**
 * An in-process cancellation backend, for tests and single-process apps.
 *
 * @module
 */
import {
  type CancellationBackend,
  type CancellationChanges,
  type CancellationListener,
  type CancellationSubscription,
  type CancelledEntry,
  checkMessageIds,
  checkTtl,
} from "./backend.js";

/** Options of {@link MemoryCancellationBackend}. */
export interface MemoryCancellationBackendOptions {
  /** How long a cancel is kept. @default 604800000 (7 days) */
  ttlMs?: number;
  /** The clock (Unix ms), for tests of expiry. @default Date.now */
  now?: () => number;
}

interface Stored {
  expiresAt: number;
  seq: number;
}

/**
 * Cancels in a `Map`, announced synchronously to subscribers before `cancel()` resolves: a
 * worker on the same backend knows of a cancel as soon as `cancel()` returns.
 */
export class MemoryCancellationBackend implements CancellationBackend {
  readonly ttlMs: number;
  readonly #now: () => number;
  readonly #cancelled = new Map<string, Stored>();
  readonly #listeners = new Set<CancellationListener>();
  #seq = 0;

  /** @param options the TTL and the clock */
  constructor(options: MemoryCancellationBackendOptions = {}) {
    this.ttlMs = checkTtl(options.ttlMs, "MemoryCancellationBackend");
    this.#now = options.now ?? Date.now;
  }

  async cancel(messageIds: readonly string[]): Promise<void> {
    const ids = checkMessageIds(messageIds);
    if (ids.length === 0) {
      return;
    }
    const expiresAt = this.#now() + this.ttlMs;
    const seq = ++this.#seq;
    for (const id of ids) {
      this.#cancelled.set(id, { expiresAt, seq });
    }
    const entries = ids.map((messageId) => ({ messageId, expiresAt }));
    for (const listener of this.#listeners) {
      listener.onCancel(entries);
    }
  }

  async isCancelled(messageId: string): Promise<boolean> {
    const stored = this.#cancelled.get(messageId);
    return stored !== undefined && stored.expiresAt > this.#now();
  }

  async changes(cursor: number | undefined): Promise<CancellationChanges> {
    const now = this.#now();
    const entries: CancelledEntry[] = [];
    for (const [messageId, stored] of this.#cancelled) {
      if (stored.expiresAt <= now) {
        this.#cancelled.delete(messageId);
      } else if (cursor === undefined || stored.seq > cursor) {
        entries.push({ messageId, expiresAt: stored.expiresAt });
      }
    }
    return { entries, cursor: this.#seq };
  }

  async subscribe(listener: CancellationListener): Promise<CancellationSubscription> {
    this.#listeners.add(listener);
    listener.onSubscribe?.();
    return {
      close: async () => {
        this.#listeners.delete(listener);
      },
    };
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}
}
