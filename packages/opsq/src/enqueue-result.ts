/**
 * The outcome of one message of a batch enqueue (`broker.enqueueMany`, `actor.sendMany`).
 *
 * @module
 */
import type { Message } from "./message.js";

/**
 * What happened to one message of a batch, at its input position: `ok: true` with the message
 * as published (as `send()` resolves), or `ok: false` with the error `send()` would have
 * rejected with. Nothing is dropped silently: every input message has exactly one result.
 */
export type EnqueueResult<M extends Message = Message> =
  | { readonly message: M; readonly ok: true }
  | { readonly message: M; readonly ok: false; readonly error: Error };

/** Options of {@link Broker.enqueueMany}. */
export interface EnqueueManyOptions {
  /** Publish every message to its delay queue, due this many ms from now. @default 0 */
  delayMs?: number;
}
