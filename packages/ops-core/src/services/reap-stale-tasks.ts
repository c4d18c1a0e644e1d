/**
 * The stale-task reaper: reclaims `running` tasks whose worker stopped sending heartbeats — the
 * worker died, or the task's message was dead-lettered while its final status could not be
 * written (a database outage longer than the retries). Without it such a task would stay
 * `running` forever, since nothing else ever looks at it again.
 *
 * One pass ({@link reapStaleTasks}): stale tasks with attempts left go back to `pending` and get
 * a fresh message; those whose attempts are spent are failed with the reason. Each move is one
 * guarded `UPDATE` in the store, so any number of workers may reap at once without acting
 * twice on a task; failing goes through the task lifecycle (`task-lifecycle.ts`), the one writer
 * of `failed`. {@link StaleTaskReaper} runs passes periodically inside a worker.
 *
 * @module
 */

import { describeError } from "../describe-error.js";
import type { Logger } from "../logger.js";
import { failStaleTasks, failTask } from "../task-lifecycle.js";
import type { StaleTaskOptions, TaskStore } from "../task-store-interface.js";

/** Everything {@link reapStaleTasks} uses. */
export interface ReapDeps extends StaleTaskOptions {
  /** Where tasks live. */
  store: TaskStore;
  /** Sends a fresh message for a requeued task (`agentTaskMessage(taskId, queue)`). */
  enqueue(taskId: string): Promise<unknown>;
  /** Where each reclaimed task is logged. */
  logger: Logger;
}

/** What one pass did, by task id. */
export interface ReapResult {
  /** Moved back to `pending` and enqueued again. */
  requeued: string[];
  /** Failed: attempts spent, or the new message could not be sent. */
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
  for (const task of await store.requeueStaleTasks(options)) {
    try {
      await deps.enqueue(task.taskId);
      logger.warn(
        { taskId: task.taskId, attempts: task.attempts },
        "stale running task requeued: its worker stopped sending heartbeats",
      );
      result.requeued.push(task.taskId);
    } catch (error) {
      const reason = `requeued after its worker stopped sending heartbeats, but enqueue failed: ${describeError(error)}`;
      // The task is `pending` with no message: fail it rather than leave it waiting forever.
      await failTask(store, task.taskId, reason);
      logger.error({ taskId: task.taskId, reason }, "stale running task failed: could not enqueue it again");
      result.failed.push(task.taskId);
    }
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
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #skipUntil = 0;

  /** @param options the pass, its period, and the grace after a failed pass */
  constructor(options: StaleTaskReaperOptions) {
    this.#options = options;
  }

  /** Schedules a pass every `intervalMs` (the first one `intervalMs` from now). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.#tick().finally(() => {
        this.#running = undefined;
      });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops scheduling passes and waits for the one under way, if any. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
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
