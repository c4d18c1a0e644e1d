/**
 * Dedup: a message with a `dedupKey` is not run while another message with the same key is
 * queued, delayed or running, nor within `dedupTtlMs` after that one succeeded. The sender
 * is told: `send()` rejects with {@link DuplicateMessage}, and nothing is published.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { DuplicateMessage, MiddlewareError, SkipMessage, toError } from "../errors.js";
import type { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import { checkOptionValue } from "../message-validation.js";
import type { Middleware, Outcome } from "../middleware/middleware.js";
import { getOption } from "../options.js";
import type { DedupBackend } from "./backend.js";

/** Options of {@link Dedup}. */
export interface DedupOptions {
  /** Where keys are held: `MemoryDedupBackend` (one process) or `PostgresDedupBackend`. */
  backend: DedupBackend;
  /** Default `dedupTtlMs` for actors and messages that set none. @default 0 (released at success) */
  dedupTtlMs?: number;
  /**
   * How long a key is held for a message not yet finished (queued, delayed — plus its delay —,
   * running or retrying): a message lost without a nack (a purged queue) frees its key after this.
   * @default 86400000 (1 day)
   */
  holdMs?: number;
  /**
   * How long the key is held between the claim at send and the broker's confirm: a send whose
   * publish fails (RabbitMQ down, a message too large) frees its key after this. @default 60000
   */
  publishHoldMs?: number;
}

/**
 * Holds each `dedupKey` for its message, from `send()` until the message succeeds (then for
 * `dedupTtlMs` more) or is dead-lettered (then released at once).
 *
 * - **At send** (`beforeEnqueue`): the key is claimed for the message, for `publishHoldMs`, then
 *   for `holdMs` once the broker confirmed (`afterEnqueue`); held by another one, the send
 *   rejects with `DuplicateMessage(key, firstMessageId)`. A retry or a re-publish of the same
 *   message keeps its key.
 * - **At the worker** (`beforeProcessMessage`): a message whose key is held by another message
 *   (sent where no Dedup middleware ran), or which already succeeded (redelivered after a worker
 *   died between its success and its ack), is acked without running.
 * - A failure of the store fails closed: the send rejects, the attempt fails (and is retried).
 */
export class Dedup implements Middleware {
  readonly name = "Dedup";
  readonly actorOptions = ["dedupKey", "dedupTtlMs"] as const;
  /** Where keys are held. */
  readonly backend: DedupBackend;
  readonly #ttlMs: number;
  readonly #holdMs: number;
  readonly #publishHoldMs: number;

  /** @param options the backend and the defaults */
  constructor(options: DedupOptions) {
    this.backend = options.backend;
    this.#ttlMs = options.dedupTtlMs ?? 0;
    this.#holdMs = options.holdMs ?? 86_400_000;
    this.#publishHoldMs = options.publishHoldMs ?? 60_000;
    for (const [name, value] of [
      ["dedupTtlMs", this.#ttlMs],
      ["holdMs", this.#holdMs],
      ["publishHoldMs", this.#publishHoldMs],
    ] as const) {
      const problem = checkOptionValue(name, "dedup_ttl", value);
      if (problem !== undefined) {
        throw new RangeError(`Dedup: ${problem}`);
      }
    }
  }

  async beforeEnqueue(broker: Broker, message: Message, delayMs: number): Promise<void> {
    const key = keyOf(broker, message);
    if (key === undefined) {
      return;
    }
    let holder: { messageId: string };
    try {
      // Held briefly until the broker confirms (afterEnqueue), so that a failed publish frees it soon.
      holder = await this.backend.claim(key, message.messageId, delayMs + this.#publishHoldMs);
    } catch (error) {
      throw new MiddlewareError(
        `Dedup: could not claim dedupKey ${JSON.stringify(key)}: ${toError(error).message}`,
      );
    }
    if (holder.messageId !== message.messageId) {
      throw new DuplicateMessage(key, holder.messageId);
    }
  }

  async afterEnqueue(broker: Broker, message: Message, delayMs: number): Promise<void> {
    const key = keyOf(broker, message);
    if (key !== undefined) {
      // Published: hold the key until the message finishes (claiming again only extends it).
      await this.backend.claim(key, message.messageId, delayMs + this.#holdMs);
    }
  }

  async beforeProcessMessage(broker: Broker, proxy: MessageProxy): Promise<void> {
    const key = keyOf(broker, proxy.message);
    if (key === undefined) {
      return;
    }
    let holder: { messageId: string; done: boolean };
    try {
      holder = await this.backend.claim(key, proxy.messageId, this.#holdMs);
    } catch (error) {
      throw new MiddlewareError(
        `Dedup: could not read dedupKey ${JSON.stringify(key)}: ${toError(error).message}`,
      );
    }
    if (holder.messageId !== proxy.messageId) {
      proxy.logger.info({ dedupKey: key, heldBy: holder.messageId }, "duplicate message; acking it unrun");
      throw new SkipMessage(`dedupKey ${JSON.stringify(key)} is held by message ${holder.messageId}`);
    }
    if (holder.done) {
      proxy.logger.info({ dedupKey: key }, "message already succeeded (redelivered); acking it unrun");
      throw new SkipMessage(`message already succeeded under dedupKey ${JSON.stringify(key)}`);
    }
  }

  async afterProcessMessage(broker: Broker, proxy: MessageProxy, outcome: Outcome): Promise<void> {
    const key = keyOf(broker, proxy.message);
    if (key === undefined || outcome.error !== undefined) {
      // A failure keeps the key while Retries retries; a dead-letter releases it (afterNack).
      return;
    }
    const actor = broker.actors.get(proxy.message.actorName);
    const ttlMs = getOption(proxy.message, actor?.options, "dedupTtlMs", this.#ttlMs) ?? 0;
    await this.backend.complete(key, proxy.messageId, ttlMs);
  }

  async afterNack(broker: Broker, proxy: MessageProxy): Promise<void> {
    const key = keyOf(broker, proxy.message);
    if (key !== undefined) {
      await this.backend.release(key, proxy.messageId);
    }
  }
}

function keyOf(broker: Broker, message: Message): string | undefined {
  const key = getOption(message, broker.actors.get(message.actorName)?.options, "dedupKey");
  return typeof key === "string" && key !== "" ? key : undefined;
}
