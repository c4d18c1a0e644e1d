/**
 * TimeLimit: aborts an attempt that runs longer than `timeLimitMs`.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { TimeLimitExceeded } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import { checkOptionValue } from "../message-validation.js";
import { getOption } from "../options.js";
import type { Middleware } from "./middleware.js";

/** The longest delay a Node timer holds; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The timer of an attempt, with its limit and when it ends. */
interface Armed {
  timer: NodeJS.Timeout;
  limit: number;
  deadline: number;
}

/** Options of {@link TimeLimit}. */
export interface TimeLimitOptions {
  /** Default time limit of an attempt. @default 600000 (10 min) */
  timeLimitMs?: number;
}

/**
 * At the limit, aborts the attempt's signal with {@link TimeLimitExceeded}; the
 * worker settles the attempt with that error at once (freeing its slot even if
 * the handler ignores the signal), and Retries decides what happens next.
 * A handler that ignores its signal keeps running in the background: use the
 * signal in every I/O call. A synchronous handler that blocks the event loop past the
 * limit cannot be aborted (the timer cannot fire): its attempt ends as it ends, with a
 * warning naming the overrun and the actor's `isolation` option, which enforces the limit.
 */
export class TimeLimit implements Middleware {
  readonly name = "TimeLimit";
  readonly actorOptions = ["timeLimitMs"] as const;
  readonly #timeLimitMs: number;
  readonly #timers = new Map<MessageProxy, Armed>();

  /** @param options the default limit */
  constructor(options: TimeLimitOptions = {}) {
    this.#timeLimitMs = options.timeLimitMs ?? 600_000;
    const problem = checkOptionValue("timeLimitMs", "time_limit", this.#timeLimitMs);
    if (problem !== undefined) {
      throw new RangeError(`TimeLimit: ${problem}`);
    }
  }

  beforeProcessMessage(broker: Broker, proxy: MessageProxy): void {
    const actor = broker.actors.get(proxy.message.actorName);
    const limit = getOption(proxy.message, actor?.options, "timeLimitMs", this.#timeLimitMs) as number;
    this.#arm(proxy, limit, Date.now() + limit);
  }

  // A limit longer than a Node timer holds (2^31 - 1 ms) is waited for in steps.
  #arm(proxy: MessageProxy, limit: number, deadline: number): void {
    const timer = setTimeout(
      () => {
        if (deadline - Date.now() > 0) {
          this.#arm(proxy, limit, deadline);
          return;
        }
        this.#timers.delete(proxy);
        proxy.logger.warn({ timeLimitMs: limit }, "time limit exceeded; aborting the attempt");
        proxy.abort(new TimeLimitExceeded(limit));
      },
      Math.min(Math.max(deadline - Date.now(), 1), MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(proxy, { timer, limit, deadline });
  }

  afterProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    const armed = this.#timers.get(proxy);
    if (armed === undefined) {
      return;
    }
    this.#clear(proxy);
    // Still armed past the deadline: the handler held the event loop, so the timer could not fire.
    const now = Date.now();
    if (now > armed.deadline && proxy.abortReason === undefined) {
      proxy.logger.warn(
        { timeLimitMs: armed.limit, overrunMs: now - armed.deadline },
        `attempt overran its time limit of ${armed.limit} ms by ${now - armed.deadline} ms without being aborted: a synchronous handler blocks the event loop, so the limit cannot stop it; give the actor the \`isolation\` option to enforce it`,
      );
    }
  }

  afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    this.#clear(proxy);
  }

  #clear(proxy: MessageProxy): void {
    const armed = this.#timers.get(proxy);
    if (armed !== undefined) {
      clearTimeout(armed.timer);
      this.#timers.delete(proxy);
    }
  }
}
