/**
 * Cancelling a task on request (`ops-core cancel`, `POST /api/v1/tasks/{id}/cancel`): the task
 * moves to `cancelled` through the task lifecycle, then the workers are told to stop its message,
 * so a worker running it aborts the attempt and one that has not started it acks it unrun.
 *
 * @module
 */
import { describeError } from "../describe-error.js";
import { TaskAlreadyFinishedError, TaskNotFoundError } from "../errors.js";
import type { Task } from "../task.js";
import { cancelTask } from "../task-lifecycle.js";
import type { TaskStore } from "../task-store-interface.js";

/** What {@link requestCancel} uses. */
export interface RequestCancelDeps {
  /** Where the task lives. */
  store: TaskStore;
  /** Tells the workers to stop these messages (opsq's cancellation backend `cancel`). */
  notify(messageIds: string[]): Promise<unknown>;
}

/** The cancelled task, and whether the workers could be told. */
export interface CancelOutcome {
  /** The task, now `cancelled`. */
  task: Task;
  /** Why the workers could not be told at once (one line), else `null`; the task is cancelled either way. */
  notifyError: string | null;
}

/**
 * Cancels a `pending` or `running` task (its message id is its task id).
 *
 * @throws {TaskNotFoundError} for an unknown id
 * @throws {TaskAlreadyFinishedError} when the task has already finished
 */
export async function requestCancel(
  taskId: string,
  reason: string | undefined,
  deps: RequestCancelDeps,
): Promise<CancelOutcome> {
  const cancelled = await cancelTask(deps.store, taskId, reason);
  if (!cancelled) {
    const found = await deps.store.findTask(taskId);
    if (!found) throw new TaskNotFoundError(taskId);
    throw new TaskAlreadyFinishedError(taskId, found.status);
  }
  // The task is cancelled whatever happens next: a worker still running it cannot complete it.
  try {
    await deps.notify([taskId]);
    return { task: cancelled, notifyError: null };
  } catch (error) {
    return { task: cancelled, notifyError: describeError(error) };
  }
}
