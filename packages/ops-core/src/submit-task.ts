/**
 * `submitTask`, the producer: validate, then store the task and its message together (the task
 * row and its outbox row in one statement), publish the message with confirms, and delete the
 * outbox row once RabbitMQ confirmed it. Bad input is rejected before anything is written.
 *
 * A broker blip fails no task: when the publish fails for a transient reason (RabbitMQ down or
 * restarting), the task stays `pending` with its message in the outbox, the submission still
 * succeeds (`delivery: "deferred"`), and the outbox relay of any worker sends it when RabbitMQ is
 * back. Only a message RabbitMQ refuses for good marks the task `failed` ({@link EnqueueError}).
 *
 * It never loads the worker's module (`ops-core/actors`): the message is built by
 * `agent-task-message.ts` and published through the broker it is given.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { type Broker, isPermanentPublishFailure } from "opsq";
import { type AgentTaskMessage, agentTaskMessage, outboxMessageOf } from "./agent-task-message.js";
import { getConfig } from "./config.js";
import { describeError } from "./describe-error.js";
import { EnqueueError, TaskAlreadyExistsError, TaskValidationError } from "./errors.js";
import { deleteConfirmed } from "./outbox-deletes.js";
import { type SubmitTaskRequest, validateSubmitRequest } from "./submit-request.js";
import type { Task } from "./task.js";
import { failTask } from "./task-lifecycle.js";
import type { TaskStore } from "./task-store-interface.js";

export type { SubmitTaskRequest } from "./submit-request.js";

/** Dependencies of {@link submitTask}. */
export interface SubmitTaskDeps {
  /** Where the task and its outbox row are stored. */
  store: TaskStore;
  /** Where the message is published (`broker.enqueue`); a RabbitmqBroker publishes with confirms. */
  broker: Pick<Broker, "enqueue">;
  /** The workers' queue. @default OPS_CORE_QUEUE */
  queue?: string;
}

/**
 * What became of a submitted task's message:
 * - `sent`: RabbitMQ confirmed it;
 * - `deferred`: RabbitMQ could not be reached; the message waits in the outbox and a worker's
 *   relay sends it when RabbitMQ is back (the task stays `pending` until then);
 * - `none`: nothing to send (a resubmission of a task already running or finished).
 */
export type MessageDelivery = "sent" | "deferred" | "none";

/** The task as stored, and what became of its message. */
export interface SubmittedTask extends Task {
  /** What became of the message. */
  readonly delivery: MessageDelivery;
  /** Why the message is `deferred` (one line, no credentials), else `null`. */
  readonly deliveryError: string | null;
  /** True when this call stored the task; false for an idempotent resubmission of a stored one. */
  readonly created: boolean;
}

/**
 * Submits a task: validates it, inserts it as `pending` together with its message's outbox row,
 * and publishes the message (task id as message id).
 *
 * With a caller-chosen `taskId`, a submission is idempotent (retry it after a lost reply): when
 * a task with that id and the same request exists, it is returned as stored and, if still
 * `pending`, its message is sent again (a worker that finds the task already running acks the
 * duplicate).
 *
 * @returns the task as stored (status `pending`; a fast worker may already have moved on) and its `delivery`
 * @throws {TaskValidationError} for bad input, or a `taskId` already used by a different request — nothing was written or enqueued
 * @throws {EnqueueError} when RabbitMQ refused the message for good — the task was marked `failed`
 * @example
 * const task = await submitTask({ taskType: "agent_task", inputData: { goal: "What is 6 * 7?" } }, { store, broker });
 * if (task.delivery === "deferred") console.log("stored; it is sent when RabbitMQ is back");
 */
export async function submitTask(request: SubmitTaskRequest, deps: SubmitTaskDeps): Promise<SubmittedTask> {
  const valid = validateSubmitRequest(request);
  const taskId = valid.taskId ?? `task_${randomUUID()}`;
  const message = agentTaskMessage(taskId, deps.queue ?? getConfig().actor.queue);
  const outboxMessage = outboxMessageOf(message);
  let task: Task;
  let outboxId: number;
  let created = true;
  try {
    ({ task, outboxId } = await deps.store.addTaskWithMessage(
      { taskId, taskType: valid.taskType, inputData: valid.inputData, name: valid.name ?? null },
      outboxMessage,
    ));
  } catch (error) {
    const existing = error instanceof TaskAlreadyExistsError ? await findResubmitted(valid, deps) : null;
    if (existing === null) throw error;
    // Running or finished: nothing to send.
    const id = existing.status === "pending" ? await deps.store.addMessage(taskId, outboxMessage) : null;
    if (id === null) return { ...existing, delivery: "none", deliveryError: null, created: false };
    task = existing;
    created = false;
    outboxId = id;
  }
  return { ...(await publish(task, message, outboxId, deps)), created };
}

/** Publishes the stored message; the outbox row is deleted once RabbitMQ confirmed it. */
async function publish(
  task: Task,
  message: AgentTaskMessage,
  outboxId: number,
  deps: SubmitTaskDeps,
): Promise<Omit<SubmittedTask, "created">> {
  try {
    await deps.broker.enqueue(message);
  } catch (error) {
    if (!isPermanentPublishFailure(error)) {
      // RabbitMQ is unreachable: the outbox row stays for a worker's relay to send.
      return { ...task, delivery: "deferred", deliveryError: describeError(error) };
    }
    throw await refused(task, outboxId, error, deps);
  }
  // Confirmed. The delete is batched with other submissions'; a failed one only means the relay
  // sends a (harmless) duplicate later.
  await deleteConfirmed(deps.store, outboxId).catch(() => {});
  return { ...task, delivery: "sent", deliveryError: null };
}

/** The message was refused for good: the task is marked `failed` and its outbox row dropped. */
async function refused(
  task: Task,
  outboxId: number,
  error: unknown,
  deps: SubmitTaskDeps,
): Promise<EnqueueError> {
  const reason = `enqueue failed: ${describeError(error)}`;
  let marked = "it was marked failed";
  try {
    await failTask(deps.store, task.taskId, reason);
    await deps.store.deleteMessages([outboxId]);
  } catch (writeError) {
    marked = `and marking it failed failed too: ${describeError(writeError)}`;
  }
  return new EnqueueError(task.taskId, `task ${task.taskId} was stored but ${reason}; ${marked}`, {
    cause: error,
  });
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
