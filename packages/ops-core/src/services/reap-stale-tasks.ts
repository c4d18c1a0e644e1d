/**
 * The stale-task reaper: reclaims `running` tasks whose worker stopped sending heartbeats — the
 * worker died, or the task's message was dead-lettered while its final status could not be
 * written (a database outage longer than the retries). Without it such a task would stay
 * `running` forever, since nothing else ever looks at it again.
 *
 * One pass ({@link reapStaleTasks}): stale tasks with attempts left go back to `pending`, with a
 * fresh message in the outbox in the same transaction, which is then published (or, when
 * RabbitMQ is unreachable, left to the outbox relay); those whose attempts are spent are failed
 * with the reason. Each move is one guarded `UPDATE` in the store, so any number of workers may
 * reap at once without acting twice on a task; failing goes through the task lifecycle
 * (`task-lifecycle.ts`), the one writer of `failed`. {@link StaleTaskReaper} runs passes
 * periodically inside a worker.
 *
 * @module
 */

import type { Broker } from "opsq";
import { type AgentTaskMessage, agentTaskMessage, outboxMessageOf } from "../agent-task-message.js";
import { describeError } from "../describe-error.js";
import type { Logger } from "../logger.js";
import { failStaleTasks } from "../task-lifecycle.js";
import type { StaleTaskOptions, TaskStore } from "../task-store-interface.js";
import { PeriodicPass } from "./periodic-pass.js";

/** Everything {@link reapStaleTasks} uses. */
export interface ReapDeps extends StaleTaskOptions {
  /** Where tasks live. */
  store: TaskStore;
  /** Where a requeued task's fresh message is published. */
  broker: Pick<Broker, "enqueue">;
  /** The workers' queue. */
  queue: string;
  /** Where each reclaimed task is logged. */
  logger: Logger;
}

/** What one pass did, by task id. */
export interface ReapResult {
  /** Moved back to `pending` with a fresh message (sent, or waiting in the outbox). */
  requeued: string[];
  /** Failed: attempts spent. */
  failed: string[];
}

/**
 * One reaper pass (see the module comment).
 *
 * @throws the store's error when the database is unreachable (nothing was changed by the
 *   statement that failed)
 */
export async function reapStaleTasks(deps: ReapDeps): Promise<ReapResult> {
  const { store, logger } = deps;
  const options: StaleTaskOptions = {
    staleAfterMs: deps.staleAfterMs,
    maxAttempts: deps.maxAttempts,
    ...(deps.limit === undefined ? {} : { limit: deps.limit }),
  };
  const result: ReapResult = { requeued: [], failed: [] };
  for (const task of await failStaleTasks(store, options)) {
    logger.warn(
      { taskId: task.taskId, attempts: task.attempts, reason: task.errorMessage },
      "stale running task failed: no heartbeat and no attempts left",
    );
    result.failed.push(task.taskId);
  }
  const messages = new Map<string, AgentTaskMessage>();
  const requeued = await store.requeueStaleTasksWithMessages(options, (taskId) => {
    const message = agentTaskMessage(taskId, deps.queue);
    messages.set(taskId, message);
    return outboxMessageOf(message);
  });
  for (const { task, outboxId } of requeued) {
    result.requeued.push(task.taskId);
    const details = { taskId: task.taskId, attempts: task.attempts };
    try {
      await deps.broker.enqueue(messages.get(task.taskId)!);
    } catch (error) {
      // The task is `pending` and its message is in the outbox: the relay sends it later.
      logger.warn(
        { ...details, error: describeError(error) },
        "stale running task requeued; its message waits in the outbox (RabbitMQ unreachable)",
      );
      continue;
    }
    await store.deleteMessages([outboxId]).catch(() => {}); // else the relay sends a harmless duplicate
    logger.warn(details, "stale running task requeued: its worker stopped sending heartbeats");
  }
  return result;
}

/** Options of {@link StaleTaskReaper}. */
export interface StaleTaskReaperOptions {
  /** One pass (usually {@link reapStaleTasks} with its deps bound). */
  pass(): Promise<ReapResult>;
  /** Time between passes. */
  intervalMs: number;
  /**
   * After a pass fails (database unreachable), passes are skipped for this long, so the
   * heartbeats of tasks still running resume before anything is judged stale. At least twice
   * the heartbeat interval plus `intervalMs`.
   */
  graceAfterFailureMs: number;
  /** Where failed passes are logged. */
  logger: Logger;
}

/** Runs reaper passes periodically (one at a time) until stopped. */
export class StaleTaskReaper {
  readonly #options: StaleTaskReaperOptions;
  readonly #periodic: PeriodicPass;
  #skipUntil = 0;

  /** @param options the pass, its period, and the grace after a failed pass */
  constructor(options: StaleTaskReaperOptions) {
    this.#options = options;
    this.#periodic = new PeriodicPass(() => this.#tick(), options.intervalMs);
  }

  /** Schedules a pass every `intervalMs` (the first one `intervalMs` from now). */
  start(): void {
    this.#periodic.start();
  }

  /** Stops scheduling passes and waits for the one under way, if any. */
  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  async #tick(): Promise<void> {
    if (Date.now() < this.#skipUntil) return;
    try {
      await this.#options.pass();
    } catch (error) {
      this.#skipUntil = Date.now() + this.#options.graceAfterFailureMs;
      this.#options.logger.warn(
        { error: describeError(error) },
        "stale-task reaper pass failed; will try again",
      );
    }
  }
}
