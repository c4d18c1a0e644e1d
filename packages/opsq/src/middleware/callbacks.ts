/**
 * Callbacks: `onSuccess` / `onFailure` actors, sent after each attempt.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { errorNameAndMessage } from "../error-text.js";
import { MessageCancelled } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import { actorNameOf, getOption } from "../options.js";
import type { Middleware, Outcome } from "./middleware.js";

/**
 * After a success, sends `(messageDict, result)` to the `onSuccess` actor; after
 * each failed attempt, sends `(messageDict, { type, message })` to `onFailure` — except a
 * cancelled one ({@link MessageCancelled}): a cancel is not a failure of the actor.
 */
export class Callbacks implements Middleware {
  readonly name = "Callbacks";
  readonly actorOptions = ["onSuccess", "onFailure"] as const;

  // Not async: without a callback to send (the usual case) it returns nothing to await.
  afterProcessMessage(broker: Broker, proxy: MessageProxy, outcome: Outcome): Promise<void> | undefined {
    const actor = broker.actors.get(proxy.message.actorName);
    if (outcome.error === undefined) {
      const name = actorNameOf(getOption(proxy.message, actor?.options, "onSuccess"));
      if (name !== undefined) {
        return send(() => broker.getActor(name).send(proxy.message.asDict(), outcome.result ?? null));
      }
      return undefined;
    }
    const name = actorNameOf(getOption(proxy.message, actor?.options, "onFailure"));
    if (name !== undefined && !(outcome.error instanceof MessageCancelled)) {
      const { type, message } = errorNameAndMessage(outcome.error);
      return send(() => broker.getActor(name).send(proxy.message.asDict(), { type, message }));
    }
    return undefined;
  }
}

// Async, so that an unknown callback actor rejects as before rather than throwing.
async function send(sending: () => Promise<unknown>): Promise<void> {
  await sending();
}
