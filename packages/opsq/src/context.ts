/**
 * The running actor's context, reachable from anywhere in its call tree through
 * AsyncLocalStorage (Dramatiq's `CurrentMessage`, built into the worker so that
 * the AbortSignal is always there).
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { OpsqError } from "./errors.js";
import type { Message } from "./message.js";
import type { ActorContext } from "./message-proxy.js";

const storage = new AsyncLocalStorage<ActorContext>();

/**
 * The context of the actor that is running: its message, child logger,
 * AbortSignal, retry count and redelivered flag.
 *
 * @throws OpsqError when called outside an actor
 * @example
 * ```ts
 * const fetchPage = defineActor("fetch_page", async (url: string) => {
 *   const { signal, logger } = getContext();
 *   logger.info({ url }, "fetching");
 *   return (await fetch(url, { signal })).status;
 * });
 * ```
 */
export function getContext(): ActorContext {
  const context = storage.getStore();
  if (context === undefined) {
    throw new OpsqError("getContext() was called outside an actor: it only works while a worker runs one");
  }
  return context;
}

/** The message being processed, or `undefined` outside an actor (Dramatiq's `CurrentMessage.get_current_message`). */
export function currentMessage(): Message | undefined {
  return storage.getStore()?.message;
}

/** The context of the actor that is running, or `undefined` outside an actor. */
export function currentContext(): ActorContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` as the current actor context. Used by the worker. */
export function runWithContext<T>(context: ActorContext, fn: () => T): T {
  return storage.run(context, fn);
}
