/**
 * An in-process deduplication backend, for tests (the StubBroker) and single-process apps.
 *
 * @module
 */
import type { DedupBackend, DedupHolder } from "./backend.js";

/** Options of {@link MemoryDedupBackend}. */
export interface MemoryDedupBackendOptions {
  /** The clock (Unix ms), for tests of expiry. @default Date.now */
  now?: () => number;
}

interface Entry extends DedupHolder {
  expiresAt: number;
}

/** Keys in a `Map`, expired lazily. */
export class MemoryDedupBackend implements DedupBackend {
  readonly #now: () => number;
  readonly #keys = new Map<string, Entry>();

  /** @param options the clock */
  constructor(options: MemoryDedupBackendOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async claim(key: string, messageId: string, holdMs: number): Promise<DedupHolder> {
    const held = this.#live(key);
    if (held !== undefined && held.messageId !== messageId) {
      return { messageId: held.messageId, done: held.done };
    }
    const expiresAt = Math.max(held?.expiresAt ?? 0, this.#now() + holdMs);
    this.#keys.set(key, { messageId, done: held?.done ?? false, expiresAt });
    return { messageId, done: held?.done ?? false };
  }

  async holder(key: string): Promise<DedupHolder | undefined> {
    const held = this.#live(key);
    return held === undefined ? undefined : { messageId: held.messageId, done: held.done };
  }

  async complete(key: string, messageId: string, ttlMs: number): Promise<void> {
    const held = this.#keys.get(key);
    if (held?.messageId === messageId) {
      this.#keys.set(key, { messageId, done: true, expiresAt: this.#now() + ttlMs });
    }
  }

  async release(key: string, messageId: string): Promise<void> {
    if (this.#keys.get(key)?.messageId === messageId) {
      this.#keys.delete(key);
    }
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  #live(key: string): Entry | undefined {
    const held = this.#keys.get(key);
    if (held !== undefined && held.expiresAt <= this.#now()) {
      this.#keys.delete(key);
      return undefined;
    }
    return held;
  }
}
