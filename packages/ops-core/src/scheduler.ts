/**
 * `submitTask`: validate, store as `pending`, enqueue — and never leave a silent `pending`
 * row behind. Bad input is rejected before anything is written; when the enqueue fails, the
 * stored task is marked `failed` (`enqueue failed: <reason>`) and the caller gets an
 * {@link EnqueueError}.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { describeError } from "./describe-error.js";
import { EnqueueError, TaskAlreadyExistsError, TaskValidationError } from "./errors.js";
import { type SubmitTaskRequest, validateSubmitRequest } from "./submit-request.js";
import type { JsonValue, NewTask, Task } from "./task.js";

export type { SubmitTaskRequest } from "./submit-request.js";

/** The store operations the scheduler needs (a `TaskStore` fits). */
export interface SchedulerStore {
  /** Inserts a `pending` task. */
  addTask(input: NewTask): Promise<Task>;
  /** Marks a `pending`/`running` task `failed`. */
  failTask(taskId: string, reason: string, result?: JsonValue): Promise<Task | null>;
  /** Returns the task or `null`; needed to resubmit with a caller-chosen `taskId`. */
  findTask?(taskId: string): Promise<Task | null>;
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
 * With a caller-chosen `taskId`, a submission is idempotent (retry it after a lost reply): when
 * a task with that id and the same request exists, it is returned as stored and, if still
 * `pending`, enqueued again (a worker that finds the task already running acks the duplicate).
 *
 * @returns the task as stored (status `pending`; a fast worker may already have moved on)
 * @throws {TaskValidationError} for bad input, or a `taskId` already used by a different request — nothing was written or enqueued
 * @throws {EnqueueError} when the enqueue failed — the task was marked `failed`
 * @example
 * const task = await submitTask({ taskType: "agent_task", inputData: { goal: "What is 6 * 7?" } }, { store });
 */
export async function submitTask(request: SubmitTaskRequest, deps: SubmitTaskDeps): Promise<Task> {
  const valid = validateSubmitRequest(request);
  let task: Task;
  try {
    task = await deps.store.addTask({
      taskType: valid.taskType,
      inputData: valid.inputData,
      name: valid.name ?? null,
      ...(valid.taskId !== undefined ? { taskId: valid.taskId } : {}),
    });
  } catch (error) {
    const existing = error instanceof TaskAlreadyExistsError ? await findResubmitted(valid, deps) : null;
    if (existing === null) throw error;
    if (existing.status !== "pending") return existing; // running or finished: nothing to send
    task = existing;
  }
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

// The stored task a resubmission with the same `taskId` refers to, or null when there is none to find.
async function findResubmitted(valid: SubmitTaskRequest, deps: SubmitTaskDeps): Promise<Task | null> {
  if (valid.taskId === undefined || deps.store.findTask === undefined) return null;
  const existing = await deps.store.findTask(valid.taskId);
  if (existing === null) return null;
  const same =
    existing.taskType === valid.taskType &&
    (existing.name ?? null) === (valid.name ?? null) &&
    // Compared as stored: JSON drops undefined fields; key order does not matter to isDeepStrictEqual.
    isDeepStrictEqual(existing.inputData, JSON.parse(JSON.stringify(valid.inputData)));
  if (!same) {
    throw new TaskValidationError("taskId", `task "${valid.taskId}" already exists with a different request`);
  }
  return existing;
}
