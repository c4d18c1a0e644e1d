/**
 * A task's status changes, found by polling its row: the simple, bounded way to implement
 * {@link TaskApi.watch} (one primary-key read per watcher every `intervalMs`, nothing held
 * open in the database between reads).
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isTerminalStatus, type Task, type TaskStatus } from "../task.js";

/** How often a watched task is read. */
export const DEFAULT_POLL_MS = 250;

/** Options of {@link pollTaskStatus}. */
export interface PollTaskStatusOptions {
  /** Time between two reads of the row. @default 250 */
  intervalMs?: number;
  /** Stops the polling (the iteration then ends). */
  signal: AbortSignal;
}

/**
 * Yields the task as `read` returns it now, then each time its status differs from the last
 * one yielded, and ends after a terminal status or when `signal` aborts. A status that lasts
 * less than `intervalMs` between two reads may be skipped; the order is always the lifecycle's. Errors of `read`
 * (an unknown id on the first read, a lost database) end the iteration by rejecting.
 *
 * @example for await (const task of pollTaskStatus(() => store.getTask(id), { signal })) print(task.status);
 */
export async function* pollTaskStatus(
  read: () => Promise<Task>,
  options: PollTaskStatusOptions,
): AsyncGenerator<Task, void, undefined> {
  const intervalMs = options.intervalMs ?? DEFAULT_POLL_MS;
  let last: TaskStatus | undefined;
  while (!options.signal.aborted) {
    const task = await read();
    if (task.status !== last) {
      last = task.status;
      yield task;
    }
    if (isTerminalStatus(task.status)) return;
    try {
      await sleep(intervalMs, undefined, { signal: options.signal });
    } catch {
      return; // aborted
    }
  }
}
