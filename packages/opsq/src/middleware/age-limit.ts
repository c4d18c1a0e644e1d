/**
 * AgeLimit: dead-letters messages older than `maxAgeMs` without running them.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { SkipMessage } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import { checkOptionValue } from "../message-validation.js";
import { getOption } from "../options.js";
import type { Middleware } from "./middleware.js";

/** Options of {@link AgeLimit}. */
export interface AgeLimitOptions {
  /** Default maximum age, in ms, for actors and messages that set none. @default unset (no limit) */
  maxAgeMs?: number;
  /**
   * How far ahead of this worker's clock a `message_timestamp` may be (producers' clocks drift).
   * A message with an age limit whose timestamp is further ahead is dead-lettered: its age
   * cannot be known, and a timestamp in the future must not bypass the limit. @default 300000 (5 min)
   */
  maxClockSkewMs?: number;
}

/** Fails (dead-letters) a message whose age since creation exceeds `maxAgeMs`. */
export class AgeLimit implements Middleware {
  readonly name = "AgeLimit";
  readonly actorOptions = ["maxAgeMs"] as const;
  readonly #maxAgeMs: number | undefined;
  readonly #maxClockSkewMs: number;

  /** @param options the default maximum age */
  constructor(options: AgeLimitOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#maxClockSkewMs = options.maxClockSkewMs ?? 300_000;
    for (const [name, value] of [
      ["maxAgeMs", this.#maxAgeMs],
      ["maxClockSkewMs", this.#maxClockSkewMs],
    ] as const) {
      const problem = checkOptionValue(name, "max_age", value);
      if (problem !== undefined) {
        throw new RangeError(`AgeLimit: ${problem}`);
      }
    }
  }

  beforeProcessMessage(broker: Broker, proxy: MessageProxy): void {
    const actor = broker.actors.get(proxy.message.actorName);
    const maxAgeMs = getOption(proxy.message, actor?.options, "maxAgeMs", this.#maxAgeMs);
    if (maxAgeMs === undefined) {
      return;
    }
    const ageMs = Date.now() - proxy.message.messageTimestamp;
    if (-ageMs > this.#maxClockSkewMs) {
      // Created in the future beyond any clock skew: its age cannot be known, so the limit cannot
      // be enforced; dead-letter it rather than let a wrong timestamp bypass the limit forever.
      const reason = new SkipMessage(
        `message_timestamp is ${-ageMs} ms in the future (more than maxClockSkewMs, ${this.#maxClockSkewMs} ms): its age limit of ${maxAgeMs} ms cannot be checked`,
      );
      proxy.logger.warn({ ageMs, maxAgeMs }, "message timestamp is in the future; dead-lettering it");
      proxy.fail(reason);
      throw reason;
    }
    if (ageMs > maxAgeMs) {
      const reason = new SkipMessage(`message is ${ageMs} ms old, over its age limit of ${maxAgeMs} ms`);
      proxy.logger.warn({ ageMs, maxAgeMs }, "message exceeded its age limit; dead-lettering it");
      proxy.fail(reason);
      throw reason;
    }
  }
}
