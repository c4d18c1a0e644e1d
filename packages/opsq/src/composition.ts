/**
 * Composing messages: pipelines (each step's result feeds the next step).
 *
 * @module
 */
import { type Broker, getBroker } from "./broker.js";
import { OpsqError } from "./errors.js";
import type { Message } from "./message.js";

/** A chain of messages, run one after the other by the Pipelines middleware. */
export interface Pipeline {
  /** The steps, each with the rest of the chain nested in `options.pipe_target`. */
  readonly messages: readonly Message[];
  /** Enqueues the first step; resolves once the broker accepted it. */
  run(options?: { delayMs?: number }): Promise<Message>;
}

/**
 * Chains messages: when step i succeeds, step i+1 is enqueued with step i's
 * result appended to its arguments (unless it was built with `pipeIgnore: true`).
 *
 * @param steps messages built with `actor.message(...)`, `actor.pipeMessage(...)` (every argument
 *   but the piped last one) or `actor.messageWithOptions(...)`
 * @param broker the broker to enqueue on. @default getBroker()
 * @example
 * ```ts
 * await pipeline([add.message(1, 2), add.pipeMessage(3), report.messageWithOptions({ pipeIgnore: true })]).run();
 * ```
 */
export function pipeline(steps: readonly Message[], broker?: Broker): Pipeline {
  if (steps.length === 0) {
    throw new OpsqError("pipeline() needs at least one message");
  }
  const chained: Message[] = [];
  let next: Message | undefined;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    next = next === undefined ? step : step.withOptions({ pipe_target: next.asDict() });
    chained.unshift(next);
  }
  return {
    messages: chained,
    async run(options = {}) {
      const first = chained[0]!;
      return (broker ?? getBroker()).enqueue(first, { delayMs: options.delayMs ?? 0 });
    },
  };
}
