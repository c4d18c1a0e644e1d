/**
 * TimeLimit: aborts an attempt that runs longer than `timeLimitMs`.
 *
 * Attempts with the same limit end in the order they started, so each distinct
 * limit keeps its running attempts in one insertion-ordered map (earliest deadline
 * first) watched by one timer for the earliest: starting and finishing an attempt
 * cost a map insert and delete, never a timer of its own.
 *
 * @module
 */
import { AttemptSlot } from "../attempt-slot.js";
import type { Broker } from "../broker.js";
import { TimeLimitExceeded } from "../errors.js";
import { LinkedList, type ListNode } from "../linked-list.js";
import type { MessageProxy } from "../message-proxy.js";
import { checkOptionValue } from "../message-validation.js";
import { getOption } from "../options.js";
import type { Middleware } from "./middleware.js";

/** The longest delay a Node timer holds; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A running attempt, in its group's list. */
interface Attempt {
  readonly proxy: MessageProxy;
  /** performance.now() past which it is aborted. */
  readonly deadline: number;
  readonly group: LimitGroup;
}

/** The running attempts that share one limit, by deadline (monotonic ms), and the timer of the earliest. */
interface LimitGroup {
  readonly limitMs: number;
  /** Running attempts in start order, which is deadline order within one limit. */
  readonly attempts: LinkedList<Attempt>;
  timer: NodeJS.Timeout | undefined;
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
  /** Each running attempt's node in its group's list. */
  readonly #running = new AttemptSlot<ListNode<Attempt>>("TimeLimit");
  readonly #groups = new Map<number, LimitGroup>();

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
    const limitMs = getOption(proxy.message, actor?.options, "timeLimitMs", this.#timeLimitMs) as number;
    let group = this.#groups.get(limitMs);
    if (group === undefined) {
      group = { limitMs, attempts: new LinkedList(), timer: undefined };
      this.#groups.set(limitMs, group);
    }
    this.#running.set(proxy, group.attempts.push({ proxy, deadline: performance.now() + limitMs, group }));
    if (group.timer === undefined) {
      this.#watch(group);
    }
  }

  afterProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    const node = this.#running.take(proxy);
    if (node === undefined) {
      return;
    }
    const { deadline, group } = node.value;
    group.attempts.remove(node);
    // Still running past the deadline: the handler held the event loop, so the timer could not fire.
    const overrunMs = Math.round(performance.now() - deadline);
    if (overrunMs > 0 && proxy.abortReason === undefined) {
      proxy.logger.warn(
        { timeLimitMs: group.limitMs, overrunMs },
        `attempt overran its time limit of ${group.limitMs} ms by ${overrunMs} ms without being aborted: a synchronous handler blocks the event loop, so the limit cannot stop it; give the actor the \`isolation\` option to enforce it`,
      );
    }
  }

  afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    // The group's timer stays armed (unref'd): when it fires early it re-arms for the new earliest.
    const node = this.#running.take(proxy);
    node?.value.group.attempts.remove(node);
  }

  // Arms the group's timer for its earliest deadline (in steps past what a Node timer holds).
  #watch(group: LimitGroup): void {
    const first = group.attempts.first;
    if (first === undefined) {
      return;
    }
    const delayMs = Math.min(Math.max(Math.ceil(first.deadline - performance.now()), 1), MAX_TIMER_MS);
    group.timer = setTimeout(() => this.#expire(group), delayMs);
    group.timer.unref();
  }

  // Aborts every attempt of the group whose deadline has passed, then watches the next one.
  #expire(group: LimitGroup): void {
    group.timer = undefined;
    const now = performance.now();
    for (let first = group.attempts.first; first !== undefined && first.deadline <= now; ) {
      const { proxy } = first;
      group.attempts.shift();
      this.#running.take(proxy);
      first = group.attempts.first;
      proxy.logger.warn({ timeLimitMs: group.limitMs }, "time limit exceeded; aborting the attempt");
      proxy.abort(new TimeLimitExceeded(group.limitMs));
    }
    this.#watch(group);
  }
}
