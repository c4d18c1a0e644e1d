/**
 * `FinalWriteRetries`: a task's final status that could not be written because the database
 * was unreachable is written again in the background, with a bounded backoff, for a bounded
 * time — so a worker that has finished a task (or given up on it) does not leave it `running`
 * for the length of a PostgreSQL outage. What it cannot write in time is left to the stale-task
 * reaper (see `reap-stale-tasks.ts`), which reclaims `running` tasks without heartbeats.
 *
 * In memory only: a worker that dies with writes pending loses them (the reaper covers that).
 * The writes themselves are the store's guarded transitions (`completeTask`, `failTask`), so a
 * late write never overrides a task that was meanwhile cancelled, reaped or finished elsewhere.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";
import { classifyError } from "../classify-error.js";
import { describeError } from "../describe-error.js";
import type { Logger } from "../logger.js";
import type { Task } from "../task.js";

/** Options of {@link FinalWriteRetries}. */
export interface FinalWriteRetriesOptions {
  /** Wait before the first retry; doubled after each failure. @default 500 */
  initialDelayMs?: number;
  /** Longest wait between two retries. @default 5000 */
  maxDelayMs?: number;
  /** How long to keep retrying one write, from when it is scheduled. @default 120000 */
  budgetMs?: number;
}

/** One write to retry: a guarded store transition returning the task, or `null` when refused. */
export interface FinalWrite {
  /** The task written. */
  taskId: string;
  /** What is written, for the logs (e.g. `completed`, `failed`). */
  status: string;
  /** Performs the write. */
  write(): Promise<Task | null>;
}

/** Retries final task writes in the background; one instance per worker process. */
export class FinalWriteRetries {
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #budgetMs: number;
  readonly #pending = new Set<Promise<void>>();
  readonly #stop = new AbortController();

  /** @param options backoff and time budget */
  constructor(options: FinalWriteRetriesOptions = {}) {
    this.#initialDelayMs = options.initialDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 5_000;
    this.#budgetMs = options.budgetMs ?? 120_000;
  }

  /** Writes still being retried. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Starts retrying `write` in the background; never throws. Each outcome is logged: written,
   * refused by the guard (the task was finished or reclaimed meanwhile), failed for good, or
   * given up after the time budget.
   */
  schedule(write: FinalWrite, logger: Logger): void {
    const run = this.#retry(write, logger).finally(() => this.#pending.delete(run));
    this.#pending.add(run);
  }

  /**
   * Waits up to `timeoutMs` for the pending writes, then stops retrying the rest (for a worker
   * shutting down, before its database pool closes).
   */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([Promise.all(this.#pending), deadline]);
    } finally {
      clearTimeout(timer);
      this.#stop.abort();
    }
  }

  async #retry(write: FinalWrite, logger: Logger): Promise<void> {
    const details = { taskId: write.taskId, status: write.status };
    const giveUpAt = Date.now() + this.#budgetMs;
    let delayMs = this.#initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      const waitMs = Math.min(delayMs, Math.max(0, giveUpAt - Date.now()));
      if (!(await this.#sleep(waitMs))) {
        logger.error(
          details,
          "worker stopping; the task's final status was not written (the reaper will reclaim it)",
        );
        return;
      }
      try {
        const task = await write.write();
        logger.info(
          { ...details, attempt },
          task
            ? "task's final status written after the database came back"
            : "task was finished or reclaimed meanwhile; final status dropped",
        );
        return;
      } catch (error) {
        const reason = describeError(error);
        if (classifyError(error) !== "transient") {
          logger.error({ ...details, attempt, error: reason }, "could not write the task's final status");
          return;
        }
        if (Date.now() >= giveUpAt) {
          logger.error(
            { ...details, attempt, error: reason },
            "gave up writing the task's final status; the reaper will reclaim the task",
          );
          return;
        }
      }
      delayMs = Math.min(delayMs * 2, this.#maxDelayMs);
    }
  }

  /** Sleeps `ms`; false when stopped meanwhile. */
  #sleep(ms: number): Promise<boolean> {
    // Unref'd: pending writes alone do not keep a process alive (a worker's connections do).
    return delay(ms, true, { signal: this.#stop.signal, ref: false }).catch(() => false);
  }
}
