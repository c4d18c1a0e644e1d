/**
 * The handler an isolated actor gets in the parent: it sends the attempt to a
 * runner of the actor's pool and settles with the runner's outcome. The
 * attempt's signal (time limit, shutdown, cancellation) kills the runner, so
 * the worker itself never learns that the actor is isolated.
 *
 * @module
 */
import type { Handler } from "../actor.js";
import { currentMessage, getContext } from "../context.js";
import type { ErrorClass } from "../options.js";
import { reviveError } from "./error-transfer.js";
import { poolModule } from "./lazy-pool.js";
import type { ResolvedIsolation } from "./options.js";

/**
 * A handler that runs actor `actorName` in an isolated runner.
 *
 * @param actorName the actor to look up in the runner
 * @param isolation where it runs
 * @param throws the actor's `throws` option: errors of these classes come back as instances of them
 */
export function isolate(
  actorName: string,
  isolation: ResolvedIsolation,
  throws: readonly ErrorClass[] = [],
): Handler<unknown[], unknown> {
  return async (...args: unknown[]) => {
    // Outside a worker (actor.fn called directly) there is no context: no message, no signal.
    const context = currentMessage() === undefined ? undefined : getContext();
    const { poolFor } = await poolModule();
    const outcome = await poolFor(isolation).run(
      {
        actorName,
        args,
        ...(context === undefined ? {} : { message: context.message.asDict() }),
        redelivered: context?.redelivered ?? false,
      },
      context === undefined ? {} : { signal: context.signal, logger: context.logger },
    );
    if (outcome.ok) {
      return outcome.value;
    }
    throw reviveError(outcome.error, throws);
  };
}
