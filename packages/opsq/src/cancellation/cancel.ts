/**
 * Cancelling messages from anywhere (a producer, a CLI, another service): the cancel is
 * stored in the backend, and every worker with the {@link Cancellation} middleware honours it.
 *
 * @module
 */
import { type Broker, getBroker } from "../broker.js";
import { OpsqError } from "../errors.js";
import type { CancellationBackend } from "./backend.js";
import { Cancellation } from "./middleware.js";

/** A message id, or anything with one (a sent `Message`). */
export type MessageRef = string | { readonly messageId: string };

/** Options of {@link cancel}. */
export interface CancelOptions {
  /** Backend to record the cancel in. @default the backend of the broker's Cancellation middleware */
  backend?: CancellationBackend;
  /** Broker whose Cancellation middleware to use when no `backend` is given. @default getBroker() */
  broker?: Broker;
}

/**
 * Cancels messages by id: those not started yet will not run, running ones have their signal
 * aborted with `MessageCancelled`; none is retried. Resolves once the cancel is stored.
 * Cancelling an id no message has (or one that already finished) is harmless: it expires.
 *
 * @example
 * ```ts
 * const sent = await report.send(2026);
 * await cancel(sent);                        // or cancel(sent.messageId), cancel([a, b])
 * ```
 */
export function cancel(
  messages: MessageRef | readonly MessageRef[],
  options: CancelOptions = {},
): Promise<void> {
  const backend = options.backend ?? cancellationBackendOf(options.broker);
  const list: readonly MessageRef[] = Array.isArray(messages) ? messages : [messages as MessageRef];
  return backend.cancel(list.map((message) => (typeof message === "string" ? message : message?.messageId)));
}

/** The backend of the broker's {@link Cancellation} middleware; throws when it has none. */
export function cancellationBackendOf(broker: Broker = getBroker()): CancellationBackend {
  const middleware = broker.middleware.find((m): m is Cancellation => m instanceof Cancellation);
  if (middleware === undefined) {
    throw new OpsqError(
      "this broker has no Cancellation middleware: add one (broker.addMiddleware(new Cancellation({ backend }))) or pass `backend`",
    );
  }
  return middleware.backend;
}
