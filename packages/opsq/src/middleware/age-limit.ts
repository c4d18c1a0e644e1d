/**
 * AgeLimit: dead-letters messages older than `maxAgeMs` without running them.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { SkipMessage } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import { getOption } from "../options.js";
import type { Middleware } from "./middleware.js";

/** Options of {@link AgeLimit}. */
export interface AgeLimitOptions {
  /** Default maximum age, in ms, for actors and messages that set none. @default unset (no limit) */
  maxAgeMs?: number;
}

/** Fails (dead-letters) a message whose age since creation exceeds `maxAgeMs`. */
export class AgeLimit implements Middleware {
  readonly name = "AgeLimit";
  readonly actorOptions = ["maxAgeMs"] as const;
  readonly #maxAgeMs: number | undefined;

  /** @param options the default maximum age */
  constructor(options: AgeLimitOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs;
  }

  beforeProcessMessage(broker: Broker, proxy: MessageProxy): void {
    const actor = broker.actors.get(proxy.message.actorName);
    const maxAgeMs = getOption(proxy.message, actor?.options, "maxAgeMs", this.#maxAgeMs);
    if (maxAgeMs === undefined) {
      return;
    }
    const ageMs = Date.now() - proxy.message.messageTimestamp;
    if (ageMs > maxAgeMs) {
      const reason = new SkipMessage(`message is ${ageMs} ms old, over its age limit of ${maxAgeMs} ms`);
      proxy.logger.warn({ ageMs, maxAgeMs }, "message exceeded its age limit; dead-lettering it");
      proxy.fail(reason);
      throw reason;
    }
  }
}
