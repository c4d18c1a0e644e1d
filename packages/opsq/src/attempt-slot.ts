/**
 * Per-attempt state a middleware keeps on the {@link MessageProxy}, like a
 * thread-local: each slot is a symbol-keyed property of the proxy, so no
 * middleware needs a `Map` keyed by proxy (see `linked-list.ts` for why
 * per-message hash tables are kept off the hot path).
 *
 * @module
 */
import type { MessageProxy } from "./message-proxy.js";

type Slotted = Record<symbol, unknown>;

/** A slot of per-attempt state of type `T`; each middleware instance makes its own. */
export class AttemptSlot<T> {
  readonly #key: symbol;

  /** @param name shown when a proxy is inspected */
  constructor(name = "slot") {
    this.#key = Symbol(name);
  }

  /** The value this attempt holds in the slot, if any. */
  get(proxy: MessageProxy): T | undefined {
    return (proxy as unknown as Slotted)[this.#key] as T | undefined;
  }

  /** Sets this attempt's value. */
  set(proxy: MessageProxy, value: T): void {
    (proxy as unknown as Slotted)[this.#key] = value;
  }

  /** Empties this attempt's slot and returns what it held. */
  take(proxy: MessageProxy): T | undefined {
    const slotted = proxy as unknown as Slotted;
    const value = slotted[this.#key] as T | undefined;
    if (value !== undefined) {
      // Overwritten rather than deleted: a delete would turn the proxy into a slow dictionary object.
      slotted[this.#key] = undefined;
    }
    return value;
  }
}
