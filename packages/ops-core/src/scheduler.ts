/**
 * `submitTask`: validate, store as `pending`, enqueue — and never leave a silent `pending`
 * row behind. Bad input is rejected before anything is written; when the enqueue fails, the
 * stored task is marked `failed` (`enqueue failed: <reason>`) and the caller gets an
 * {@link EnqueueError}.
 *
 * @module
 */
import { describeError } from "./describe-error.js";
import { EnqueueError } from "./errors.js";
import { type SubmitTaskRequest, validateSubmitRequest } from "./submit-request.js";
import type { JsonValue, NewTask, Task } from "./task.js";

export type { SubmitTaskRequest } from "./submit-request.js";

/** The store operations the scheduler needs (a `TaskStore` fits). */
export interface SchedulerStore {
  /** Inserts a `pending` task. */
  addTask(input: NewTask): Promise<Task>;
  /** Marks a `pending`/`running` task `failed`. */
  failTask(taskId: string, reason: string, result?: JsonValue): Promise<Task | null>;
}

/** Dependencies of {@link submitTask}. */
export interface SubmitTaskDeps {
  /** Where the task is stored. */
  store: SchedulerStore;
  /**
   * Sends the task to the workers.
   * @default `enqueueTask(executeAgentTask, taskId)` from `ops-core/actors` (imported on first
   *   use): the message id is the task id, so `ops-core cancel` can stop a running task
   */
  enqueue?: (taskId: string) => Promise<unknown>;
}

/**
 * Submits a task: validates it, inserts it as `pending`, and enqueues its id.
 *
 * @returns the task as stored (status `pending`; a fast worker may already have moved on)
 * @throws {TaskValidationError} for bad input — nothing was written or enqueued
 * @throws {EnqueueError} when the enqueue failed — the task was marked `failed`
 * @example
 * const task = await submitTask({ taskType: "agent_task", inputData: { goal: "What is 6 * 7?" } }, { store });
 */
export async function submitTask(request: SubmitTaskRequest, deps: SubmitTaskDeps): Promise<Task> {
  const valid = validateSubmitRequest(request);
  const task = await deps.store.addTask({
    taskType: valid.taskType,
    inputData: valid.inputData,
    name: valid.name ?? null,
  });
  try {
    await (deps.enqueue ?? enqueueWithActor)(task.taskId);
  } catch (error) {
    const reason = `enqueue failed: ${describeError(error)}`;
    let marked = "it was marked failed";
    try {
      await deps.store.failTask(task.taskId, reason);
    } catch (writeError) {
      marked = `and marking it failed failed too: ${describeError(writeError)}`;
    }
    throw new EnqueueError(task.taskId, `task ${task.taskId} was stored but ${reason}; ${marked}`, {
      cause: error,
    });
  }
  return task;
}

async function enqueueWithActor(taskId: string): Promise<void> {
  const { enqueueTask, executeAgentTask } = await import("./actors/index.js");
  await enqueueTask(executeAgentTask, taskId);
}
