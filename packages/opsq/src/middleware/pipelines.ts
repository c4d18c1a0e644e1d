/**
 * Pipelines: after a success, enqueues the message's `pipe_target` with the
 * result appended to its arguments (unless the target message sets `pipe_ignore`, or the
 * actor that just ran sets `pipeIgnore`, as Dramatiq checks).
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { isPermanentPublishFailure, OpsqError, toError } from "../errors.js";
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
    return this.#enqueueNext(broker, proxy, target, outcome);
  }

  async #enqueueNext(
    broker: Broker,
    proxy: MessageProxy,
    target: MessageDict,
    outcome: Outcome,
  ): Promise<void> {
    let next = Message.fromDict(target);
    // As Dramatiq: the step's own pipe_ignore, or else that of the actor that just ran.
    const ran = broker.actors.get(proxy.message.actorName);
    const ignore = Boolean(next.options.pipe_ignore) || Boolean(ran?.options.pipeIgnore);
    if (!ignore) {
      next = next.copy({ args: [...next.args, outcome.result ?? null] });
    }
    const delay = next.options.delay;
    try {
      await broker.enqueue(next, { delayMs: typeof delay === "number" ? delay : 0 });
    } catch (error) {
      if (isPermanentPublishFailure(error)) {
        // Refused for good: dead-letter this step with the reason rather than drop the pipeline.
        proxy.logger.error({ err: error }, "the broker refused the pipeline's next step; dead-lettering");
        proxy.fail(
          new OpsqError(`the pipeline's next step could not be enqueued: ${toError(error).message}`, {
            cause: error,
          }),
        );
      } else {
        proxy.logger.warn(
          { err: error },
          "could not enqueue the pipeline's next step; handing the message back",
        );
        proxy.handBack();
      }
    }
  }
}
