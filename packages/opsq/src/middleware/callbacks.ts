/**
 * Callbacks: `onSuccess` / `onFailure` actors, sent after each attempt.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import type { MessageProxy } from "../message-proxy.js";
import { actorNameOf, getOption } from "../options.js";
import type { Middleware, Outcome } from "./middleware.js";

/**
 * After a success, sends `(messageDict, result)` to the `onSuccess` actor; after
 * each failed attempt, sends `(messageDict, { type, message })` to `onFailure`.
 */
export class Callbacks implements Middleware {
  readonly name = "Callbacks";
  readonly actorOptions = ["onSuccess", "onFailure"] as const;

  async afterProcessMessage(broker: Broker, proxy: MessageProxy, outcome: Outcome): Promise<void> {
    const actor = broker.actors.get(proxy.message.actorName);
    if (outcome.error === undefined) {
      const name = actorNameOf(getOption(proxy.message, actor?.options, "onSuccess"));
      if (name !== undefined) {
        await broker.getActor(name).send(proxy.message.asDict(), outcome.result ?? null);
      }
      return;
    }
    const name = actorNameOf(getOption(proxy.message, actor?.options, "onFailure"));
    if (name !== undefined) {
      const { name: type, message } = outcome.error;
      await broker.getActor(name).send(proxy.message.asDict(), { type, message });
    }
  }
}
