/**
 * `submitTask`, the producer: validate, store as `pending`, send the `execute_agent_task`
 * message — and never leave a silent `pending` row behind. Bad input is rejected before anything
 * is written; when the enqueue fails, the stored task is marked `failed`
 * (`enqueue failed: <reason>`) and the caller gets an {@link EnqueueError}.
 *
 * It never loads the worker's module (`ops-core/actors`): the message is built by
 * `agent-task-message.ts` and published through the broker it is given.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import type { Broker } from "opsq";
import { agentTaskMessage } from "./agent-task-message.js";
import { getConfig } from "./config.js";
import { describeError } from "./describe-error.js";
import { EnqueueError, TaskAlreadyExistsError, TaskValidationError } from "./errors.js";
import { type SubmitTaskRequest, validateSubmitRequest } from "./submit-request.js";
import type { Task } from "./task.js";
import { failTask } from "./task-lifecycle.js";
import type { TaskStore } from "./task-store-interface.js";

export type { SubmitTaskRequest } from "./submit-request.js";

/** Dependencies of {@link submitTask}. */
export interface SubmitTaskDeps {
  /** Where the task is stored. */
  store: TaskStore;
  /** Where the message is published (`broker.enqueue`); a RabbitmqBroker publishes with confirms. */
  broker: Pick<Broker, "enqueue">;
  /** The workers' queue. @default OPS_CORE_QUEUE */
  queue?: string;
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
 * const task = await submitTask({ taskType: "agent_task", inputData: { goal: "What is 6 * 7?" } }, { store, broker });
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
    await deps.broker.enqueue(agentTaskMessage(task.taskId, deps.queue ?? getConfig().actor.queue));
  } catch (error) {
    const reason = `enqueue failed: ${describeError(error)}`;
    let marked = "it was marked failed";
    try {
      await failTask(deps.store, task.taskId, reason);
    } catch (writeError) {
      marked = `and marking it failed failed too: ${describeError(writeError)}`;
    }
    throw new EnqueueError(task.taskId, `task ${task.taskId} was stored but ${reason}; ${marked}`, {
      cause: error,
    });
  }
  return task;
}

// The stored task a resubmission with the same `taskId` refers to, or null when there is none to find.
async function findResubmitted(valid: SubmitTaskRequest, deps: SubmitTaskDeps): Promise<Task | null> {
  if (valid.taskId === undefined) return null;
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
