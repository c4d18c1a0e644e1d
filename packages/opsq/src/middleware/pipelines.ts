/**
 * Pipelines: after a success, enqueues the message's `pipe_target` with the
 * result appended to its arguments (unless the target sets `pipe_ignore`).
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { Message, type MessageDict } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Middleware, Outcome } from "./middleware.js";

/** Enqueues the next step of a pipeline; the target's `options.delay` (ms) delays it. */
export class Pipelines implements Middleware {
  readonly name = "Pipelines";
  readonly actorOptions = ["pipeIgnore"] as const;

  // Not async: a message with no next step (the usual case) returns nothing to await.
  afterProcessMessage(broker: Broker, proxy: MessageProxy, outcome: Outcome): Promise<void> | undefined {
    const target = proxy.message.options.pipe_target;
    if (outcome.error !== undefined || proxy.failed || target === undefined || target === null) {
      return undefined;
    }
    return this.#enqueueNext(broker, target, outcome);
  }

  async #enqueueNext(broker: Broker, target: MessageDict, outcome: Outcome): Promise<void> {
    let next = Message.fromDict(target);
    const actor = broker.actors.get(next.actorName);
    const ignore = next.options.pipe_ignore ?? actor?.options.pipeIgnore ?? false;
    if (!ignore) {
      next = next.copy({ args: [...next.args, outcome.result ?? null] });
    }
    const delay = next.options.delay;
    await broker.enqueue(next, { delayMs: typeof delay === "number" ? delay : 0 });
  }
}
