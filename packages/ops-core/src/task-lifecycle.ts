/**
 * The one owner of a claimed task's end: which final status each outcome of its message leads
 * to, and the only functions that write `failed` and `cancelled`.
 *
 * Who writes each final status (nothing else in ops-core does):
 *
 * | status      | written by                                                                         |
 * | ----------- | ---------------------------------------------------------------------------------- |
 * | `completed` | the actor, `executeAgentTask` (`actors/execute-agent-task.ts`), after a good run     |
 * | `failed`    | {@link failTask} here — called by {@link taskLifecycle} when the message is dead-lettered, and by `submitTask` and the outbox relay when RabbitMQ refuses a message for good — and {@link failStaleTasks} here, called by the stale-task reaper |
 * | `cancelled` | {@link cancelTask} here — called by {@link taskLifecycle} when a cancelled message is acked, and by `ops-core cancel` |
 *
 * {@link taskLifecycle} reads opsq's own decisions and never re-derives them:
 *
 * - the message is **dead-lettered** (`beforeNack`: `proxy.failed`) — retries exhausted, or an
 *   error listed in the actor's `throws` (such as {@link AgentTaskFailedError}), or an
 *   `UnrecoverableError`, whatever `maxRetries`, `retryWhen` or `throws` said → `failed`, with
 *   the reason and the result the error carries;
 * - the message is **acked after a cancel** (`beforeAck` with `proxy.abortReason` a
 *   `MessageCancelled`): cancelled while running (Cancellation marked it handled and aborted it),
 *   or skipped because it was cancelled before it ran (the skip is acked too, so one hook sees
 *   both, and the task is written once) → `cancelled`;
 * - the message is retried, acked after a success, or **handed back** at a worker shutdown →
 *   nothing (a retry or the next delivery claims the task again).
 *
 * The writes run before the delivery is settled (ack-late): a worker dying in between leaves the
 * message to be redelivered, and its next delivery finds the task finished. A write that meets a
 * database outage is retried in the background (`FinalWriteRetries`); the stale-task reaper
 * covers what even that cannot write.
 *
 * Light: opsq and ops-core's small modules only.
 *
 * @module
 */
import { type Broker, MessageCancelled, type MessageProxy, type Middleware, UnrecoverableError } from "opsq";
import { taskIdOf } from "./agent-task-message.js";
import { classifyError } from "./classify-error.js";
import { describeError } from "./describe-error.js";
import { AgentTaskFailedError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { FinalWriteRetries } from "./services/final-write-retries.js";
import type { JsonValue, Task } from "./task.js";
import type { StaleTaskOptions, TaskStore } from "./task-store-interface.js";

/** `error_message` of a task cancelled through its message (or by `ops-core cancel` without a reason). */
export const CANCELLED_REASON = "Cancelled.";

/**
 * Marks a `pending` or `running` task `failed` with `reason` (and `result`, when given).
 *
 * @returns the failed task, or `null` when it is missing or already finished
 */
export function failTask(
  store: TaskStore,
  taskId: string,
  reason: string,
  result?: JsonValue,
): Promise<Task | null> {
  return store.failTask(taskId, reason, result);
}

/**
 * Marks a `pending` or `running` task `cancelled`; a worker still running it then finds, when it
 * tries to complete it, that it is no longer `running`, and drops its result.
 *
 * @returns the cancelled task, or `null` when it is missing or already finished
 */
export function cancelTask(
  store: TaskStore,
  taskId: string,
  reason = CANCELLED_REASON,
): Promise<Task | null> {
  return store.cancelTask(taskId, reason);
}

/**
 * Fails the stale `running` tasks whose attempts are spent (the reaper's verdict), in one
 * guarded statement.
 *
 * @returns the failed tasks
 */
export function failStaleTasks(store: TaskStore, options: StaleTaskOptions): Promise<Task[]> {
  return store.failStaleTasks(options);
}

/** What {@link taskLifecycle} writes with, resolved when a first outcome needs it. */
export interface LifecycleRuntime {
  /** Where tasks live. */
  store: TaskStore;
  /** Background retries of a final write that met a database outage. */
  finalWrites: FinalWriteRetries;
}

/** Options of {@link taskLifecycle}. */
export interface TaskLifecycleOptions {
  /** The store and the final-write retries (the worker's runtime, opened on first use). */
  runtime(): Promise<LifecycleRuntime>;
}

/**
 * The middleware that turns the outcomes of `execute_agent_task` messages into final statuses
 * (see the module comment). Messages of other actors are left alone.
 */
export function taskLifecycle(options: TaskLifecycleOptions): Middleware {
  return {
    name: "OpsCoreTaskLifecycle",
    beforeNack: (broker, proxy) => {
      const taskId = taskIdOf(proxy.message);
      return taskId === undefined ? undefined : recordDeadLetter(broker, proxy, taskId, options);
    },
    beforeAck: (_broker, proxy) => {
      if (!(proxy.abortReason instanceof MessageCancelled)) return undefined;
      const taskId = taskIdOf(proxy.message);
      return taskId === undefined ? undefined : recordCancel(proxy, taskId, options);
    },
  };
}

/** The task's `error_message` for a dead-lettered message, and the result its error carries. */
function deadLetterOutcome(
  broker: Broker,
  proxy: MessageProxy,
): { reason: string; result: JsonValue | undefined } {
  const error = proxy.failReason;
  const reason = describeError(error ?? "message dead-lettered");
  if (error instanceof AgentTaskFailedError) return { reason, result: error.result };
  const throws = broker.actors.get(proxy.message.actorName)?.options.throws ?? [];
  const retried = !(error instanceof UnrecoverableError) && !throws.some((kind) => error instanceof kind);
  // Retries counted this failure in the message's `retries` before dead-lettering it.
  const attempts = proxy.retries;
  if (!retried || attempts < 1) return { reason, result: undefined };
  return {
    reason: `${reason} (gave up after ${attempts} attempt${attempts === 1 ? "" : "s"})`,
    result: undefined,
  };
}

async function recordDeadLetter(
  broker: Broker,
  proxy: MessageProxy,
  taskId: string,
  options: TaskLifecycleOptions,
): Promise<void> {
  const { reason, result } = deadLetterOutcome(broker, proxy);
  await write(proxy.logger, taskId, "failed", options, (store) => failTask(store, taskId, reason, result), {
    written: "task marked failed; message dead-lettered",
    refused: "task was already finished; message dead-lettered",
  });
}

async function recordCancel(
  proxy: MessageProxy,
  taskId: string,
  options: TaskLifecycleOptions,
): Promise<void> {
  await write(proxy.logger, taskId, "cancelled", options, (store) => cancelTask(store, taskId), {
    written: "task cancelled",
    refused: "task was already cancelled or finished",
  });
}

/** Writes a final status; never throws (the delivery is settled either way). */
async function write(
  logger: Logger,
  taskId: string,
  status: string,
  options: TaskLifecycleOptions,
  transition: (store: TaskStore) => Promise<Task | null>,
  messages: { written: string; refused: string },
): Promise<void> {
  let runtime: LifecycleRuntime;
  try {
    runtime = await options.runtime();
  } catch (error) {
    logger.error({ taskId, status, error: describeError(error) }, `could not mark the task ${status}`);
    return;
  }
  try {
    const task = await transition(runtime.store);
    logger.info({ taskId }, task ? messages.written : messages.refused);
  } catch (error) {
    const retried = classifyError(error) === "transient";
    if (retried) {
      runtime.finalWrites.schedule({ taskId, status, write: () => transition(runtime.store) }, logger);
    }
    logger.error(
      { taskId, status, error: describeError(error) },
      retried
        ? `could not mark the task ${status} yet (retrying in the background)`
        : `could not mark the task ${status}`,
    );
  }
}
