/**
 * The body of the `execute_agent_task` actor, loaded on the first message (it pulls in the
 * agent runtime, zod and, through the runtime, the database driver and the LLM client).
 *
 * What happens to a message:
 * - a malformed argument (not a task id) → dead-lettered at once ({@link UnrecoverableError});
 * - otherwise {@link runTask} runs it: a missing task is logged and acked, a finished one is
 *   acked untouched, a permanent agent failure marks the task `failed` and is acked;
 * - a transient failure (database or LLM outage, opsq's time limit) is rethrown so opsq's
 *   Retries re-enqueues the message with backoff — except on the last attempt, where the task is
 *   first marked `failed` with the reason, so the dead-lettered message never leaves it `running`;
 * - an unexpected permanent error escaping `runTask` marks the task `failed` and dead-letters the
 *   message without retries;
 *   If that write meets a database outage, it is retried in the background (`FinalWriteRetries`);
 * - a worker shutdown that hands the message back leaves the task as it is (it is redelivered);
 * - a cancel (`ops-core cancel`, or opsq's `cancel(<task id>)`) aborts the attempt: the task
 *   ends `cancelled`, never `failed`, and the message is acked without a retry.
 *
 * @module
 */
import { hostname } from "node:os";
import { type ActorContext, getContext, type Logger, UnrecoverableError } from "opsq";
import { classifyError } from "../classify-error.js";
import { describeError } from "../describe-error.js";
import { redactError } from "../redact.js";
import { type RunTaskOutcome, runTask } from "../services/run-task.js";
import { getTaskRuntime, type ResolvedTaskRuntime, type RuntimeTaskStore } from "./runtime.js";

/** `error_message` of a task cancelled through its message. */
export const CANCELLED_REASON = "Cancelled.";

/** Recorded on the tasks this process claims: `<host>:<pid>`. */
export const WORKER_ID = `${hostname()}:${process.pid}`;

/** Settings the actor was defined with. */
export interface ProcessAgentTaskSettings {
  /** The actor's `maxRetries` (a message's own `max_retries` option wins). */
  maxRetries: number;
}

/**
 * Runs one `execute_agent_task` message; must be called inside an opsq actor (it uses
 * `getContext()` for the signal, logger and retry count).
 *
 * @returns what `runTask` did
 * @throws transient errors for opsq to retry, {@link UnrecoverableError} for messages to dead-letter
 */
export async function processAgentTask(
  taskId: unknown,
  settings: ProcessAgentTaskSettings,
): Promise<RunTaskOutcome["kind"]> {
  const context = getContext();
  if (typeof taskId !== "string" || taskId.trim() === "") {
    throw new UnrecoverableError(
      `execute_agent_task needs a task id string as its argument (got ${JSON.stringify(taskId) ?? String(taskId)})`,
    );
  }
  let runtime: Awaited<ReturnType<typeof getTaskRuntime>>;
  try {
    runtime = await getTaskRuntime();
  } catch (error) {
    if (classifyError(error) === "transient") throw redactError(error);
    throw new UnrecoverableError(`cannot run task ${taskId}: ${describeError(error)}`, {
      cause: redactError(error),
    });
  }
  try {
    const outcome = await runTask(taskId, {
      store: runtime.store,
      llm: runtime.llm,
      tools: runtime.tools,
      security: runtime.security,
      timeoutMs: runtime.timeoutMs,
      signal: context.signal,
      logger: context.logger,
      workerId: WORKER_ID,
      heartbeatMs: runtime.heartbeatMs,
      finalWrites: runtime.finalWrites,
      // A fresh message (neither redelivered nor a retry) finding the task running is a duplicate.
      takeOver: context.redelivered || context.retries > 0,
    });
    return outcome.kind;
  } catch (error) {
    // opsq logs what is thrown with its stack and cause chain: no credentials may be in them.
    throw redactError(await settleFailure(taskId, error, runtime, context, settings));
  }
}

/** Decides what a failed attempt means for the task; returns the error the actor should throw. */
async function settleFailure(
  taskId: string,
  error: unknown,
  runtime: ResolvedTaskRuntime,
  context: ActorContext,
  settings: ProcessAgentTaskSettings,
): Promise<unknown> {
  const { store } = runtime;
  const aborted = context.signal.aborted ? (context.signal.reason as unknown) : undefined;
  const abortName = (aborted as { name?: unknown } | undefined)?.name;
  if (abortName === "Shutdown") {
    // The worker handed the message back: another delivery will claim the task again.
    return error;
  }
  if (abortName === "MessageCancelled") {
    // Cancelled on purpose: opsq acks the message without a retry; the task ends cancelled.
    await cancelTaskOf(taskId, context.logger, store);
    return aborted;
  }
  const reason = describeError(aborted ?? error);
  const transient = aborted !== undefined || classifyError(error) === "transient";
  const attempts = context.retries + 1;
  const maxRetries = messageMaxRetries(context) ?? settings.maxRetries;
  const details = { taskId, attempts, maxRetries, error: reason };
  if (transient && context.retries < maxRetries) {
    context.logger.warn(details, "transient failure; the message will be retried");
    return error;
  }
  const final = transient
    ? `${reason} (gave up after ${attempts} attempt${attempts === 1 ? "" : "s"})`
    : reason;
  try {
    const failed = await store.failTask(taskId, final);
    context.logger.error(
      details,
      failed
        ? "task marked failed; message dead-lettered"
        : "task was already finished; message dead-lettered",
    );
  } catch (writeError) {
    const retried = classifyError(writeError) === "transient";
    if (retried) {
      runtime.finalWrites.schedule(
        { taskId, status: "failed", write: () => store.failTask(taskId, final) },
        context.logger,
      );
    }
    context.logger.error(
      { ...details, writeError: describeError(writeError) },
      retried
        ? "could not mark the task failed yet (retrying in the background); message dead-lettered"
        : "could not mark the task failed; message dead-lettered",
    );
  }
  return transient ? error : new UnrecoverableError(final, { cause: error });
}

/**
 * Marks the task `cancelled` after its message was cancelled, unless it already is (as after
 * `ops-core cancel`) or it is finished. Never throws: the message is acked either way.
 */
export async function cancelTaskOf(taskId: string, logger: Logger, store?: RuntimeTaskStore): Promise<void> {
  try {
    const target = store ?? (await getTaskRuntime()).store;
    if (!target.cancelTask) return;
    const cancelled = await target.cancelTask(taskId, CANCELLED_REASON);
    logger.info({ taskId }, cancelled ? "task cancelled" : "task was already cancelled or finished");
  } catch (error) {
    logger.error({ taskId, error: describeError(error) }, "could not mark the cancelled task cancelled");
  }
}

function messageMaxRetries(context: ActorContext): number | undefined {
  const value = context.message.options.max_retries;
  return typeof value === "number" ? value : undefined;
}
