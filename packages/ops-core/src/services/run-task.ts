/**
 * `runTask`: everything a worker does for one "execute agent task" message, with every
 * dependency injected (the actor only builds the deps and calls this).
 *
 * 1. Claim the task (`pending → running`, or `running → running` for a redelivery or a retry;
 *    `attempts + 1`). When the claim is refused, look it up: missing → log and return; terminal
 *    → return (a redelivered message is a no-op); running → return (a duplicate message).
 * 2. Run the agent under a deadline (`timeoutMs`) combined with the caller's signal; the
 *    signal reaches the LLM client, so the HTTP request is really cancelled.
 *    While it runs, the task's `heartbeat_at` is refreshed every `heartbeatMs`, so the stale-task
 *    reaper can tell a live attempt from one whose worker died.
 * 3. Write the result and the final status in one statement (`completeTask`). When the
 *    database is unreachable at that moment, the write is retried in the background
 *    (`finalWrites`) and the message is acked: the outcome is not lost to a retry of the run.
 * 4. On error: permanent (bad input, LLM 4xx, timeout, …) → `failed` with the reason;
 *    transient (database outage, LLM 5xx after the SDK's retries, caller abort) → rethrown,
 *    the task stays `running`, and the queue redelivers the message to claim it again.
 *
 * Imports types only (plus small helpers), so the actors module can import it cheaply.
 *
 * @module
 */
import { abortable } from "../abortable.js";
import type { LlmClient } from "../agent/llm-client.js";
import { type AgentRunResult, runAgent } from "../agent/run-agent.js";
import type { SecurityManager } from "../agent/security.js";
import { ShortTermMemory } from "../agent/short-term-memory.js";
import type { Tool } from "../agent/tool.js";
import type { ToolRegistry } from "../agent/tool-registry.js";
import { parseAgentTaskInput } from "../agent-task-input.js";
import { classifyError } from "../classify-error.js";
import type { ClaimOptions, TaskCompletion } from "../db/task-store.js";
import { describeError } from "../describe-error.js";
import { AgentTimeoutError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { JsonValue, Task, TaskStatus } from "../task.js";
import type { FinalWriteRetries } from "./final-write-retries.js";

/** The store operations `runTask` needs (a `TaskStore` fits). */
export interface RunTaskStore {
  /** Returns the task or `null`. */
  findTask(taskId: string): Promise<Task | null>;
  /** Guarded `pending → running` (and `running → running` with `takeOver`); `null` when refused. */
  claimTask(taskId: string, workerId: string, options?: ClaimOptions): Promise<Task | null>;
  /** Guarded `running → completed|failed`; `null` when not running. */
  completeTask(taskId: string, completion: TaskCompletion): Promise<Task | null>;
  /** Refreshes `heartbeat_at` of a task running under `workerId`; false when it no longer is. */
  heartbeat?(taskId: string, workerId: string): Promise<boolean>;
}

/** Everything {@link runTask} uses. */
export interface RunTaskDeps {
  /** Where tasks live. */
  store: RunTaskStore;
  /** The model. */
  llm: LlmClient;
  /** Tools offered to the model. */
  tools: ToolRegistry | readonly Tool[];
  /** Checks each tool call. */
  security: SecurityManager;
  /** Deadline of the agent run (`AGENT_EXECUTION_TIMEOUT` × 1000). */
  timeoutMs: number;
  /** The caller's cancellation (worker shutdown, queue time limit); treated as transient. */
  signal?: AbortSignal;
  /** Where progress is logged. */
  logger: Logger;
  /** Recorded on the task when it is claimed. */
  workerId: string;
  /**
   * May this delivery take over a task that is `running`? True for a redelivery (a worker died
   * or handed it back) or a retry; false for a fresh message, which is then a duplicate (the
   * same task enqueued twice) and must not run the task a second time at once. @default true
   */
  takeOver?: boolean;
  /** Mark the task `failed` when any tool call failed or was denied. @default true */
  failOnToolError?: boolean;
  /** Refresh the task's `heartbeat_at` this often while it runs. @default no heartbeats */
  heartbeatMs?: number;
  /**
   * Retries the final write in the background when the database is unreachable; without it,
   * that error is thrown (and the queue retries the whole run).
   */
  finalWrites?: FinalWriteRetries;
}

/** What happened, for the caller's logs and tests. */
export type RunTaskOutcome =
  | { kind: "missing" }
  | { kind: "skipped"; taskStatus: TaskStatus | "unknown" }
  | { kind: "completed"; task: Task }
  | { kind: "failed"; task: Task; reason: string }
  | { kind: "superseded"; reason: string | null }
  | { kind: "deferred"; status: TaskStatus };

/**
 * Runs one agent task to a terminal status.
 *
 * @throws only transient errors (and errors writing the outcome), so the queue retries them
 */
export async function runTask(taskId: string, deps: RunTaskDeps): Promise<RunTaskOutcome> {
  const { store, logger } = deps;
  const log = { taskId, workerId: deps.workerId };
  // Claim first: one guarded UPDATE in the common case; only a refused claim needs a lookup.
  const claimed = await store.claimTask(taskId, deps.workerId, { takeOver: deps.takeOver ?? true });
  if (!claimed) {
    const found = await store.findTask(taskId);
    if (!found) {
      logger.warn(log, "task not found; nothing to run");
      return { kind: "missing" };
    }
    logger.info(
      { ...log, status: found.status },
      found.status === "running"
        ? "task already running under another delivery; this duplicate message is acked"
        : "task already finished; nothing to run",
    );
    return { kind: "skipped", taskStatus: found.status };
  }
  logger.info({ ...log, attempts: claimed.attempts }, "task claimed");

  const memory = new ShortTermMemory();
  const stopHeartbeats = startHeartbeats(taskId, deps);
  let completion: TaskCompletion;
  try {
    const input = parseAgentTaskInput(claimed.inputData);
    const run = await runWithDeadline(deps, (signal) =>
      runAgent({
        goal: input.goal,
        llm: deps.llm,
        tools: deps.tools,
        security: deps.security,
        signal,
        memory,
        ...(input.model ? { model: input.model } : {}),
        ...(input.maxSteps ? { maxSteps: input.maxSteps } : {}),
      }),
    );
    completion = completionOf(run, deps.failOnToolError ?? true);
  } catch (error) {
    if (deps.signal?.aborted || classifyError(error) === "transient") {
      const cancelled = (deps.signal?.reason as { name?: unknown } | undefined)?.name === "MessageCancelled";
      logger.warn(
        { ...log, error: describeError(error) },
        cancelled
          ? "task run stopped: its message was cancelled"
          : "task interrupted by a transient error; it will be retried",
      );
      throw error;
    }
    const reason = describeError(error);
    completion = {
      status: "failed",
      errorMessage: reason,
      result: toJson({ error: reason, history: memory.messages() }),
    };
  } finally {
    stopHeartbeats();
  }

  let written: Task | null;
  try {
    written = await store.completeTask(taskId, completion);
  } catch (error) {
    if (!deps.finalWrites || classifyError(error) !== "transient") throw error;
    deps.finalWrites.schedule(
      { taskId, status: completion.status, write: () => store.completeTask(taskId, completion) },
      logger,
    );
    logger.warn(
      { ...log, status: completion.status, error: describeError(error) },
      "could not write the task's final status; retrying in the background",
    );
    return { kind: "deferred", status: completion.status };
  }
  if (!written) {
    logger.warn(log, "task is no longer running (cancelled or taken over); result dropped");
    return { kind: "superseded", reason: completion.errorMessage ?? null };
  }
  if (written.status === "completed") {
    logger.info(log, "task completed");
    return { kind: "completed", task: written };
  }
  const reason = written.errorMessage ?? "failed";
  logger.warn({ ...log, reason }, "task failed");
  return { kind: "failed", task: written, reason };
}

/** Refreshes the task's heartbeat every `heartbeatMs` until the returned function is called. */
function startHeartbeats(taskId: string, deps: RunTaskDeps): () => void {
  const { store, heartbeatMs } = deps;
  if (!store.heartbeat || heartbeatMs === undefined) return () => {};
  const beat = store.heartbeat.bind(store);
  let stopped = false;
  const timer = setInterval(() => {
    beat(taskId, deps.workerId).then(
      (alive) => {
        if (!alive && !stopped) {
          deps.logger.debug({ taskId, workerId: deps.workerId }, "task no longer running under this worker");
        }
      },
      // An outage: the run goes on, and the next beat tries again.
      (error: unknown) => deps.logger.debug({ taskId, error: describeError(error) }, "heartbeat not written"),
    );
  }, heartbeatMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/**
 * Runs `work` with a signal that aborts at the deadline or when the caller's signal does, and
 * stops waiting at that moment even if `work` ignores the signal.
 */
async function runWithDeadline<T>(deps: RunTaskDeps, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new AgentTimeoutError(deps.timeoutMs)), deps.timeoutMs);
  const signal = deps.signal ? AbortSignal.any([deadline.signal, deps.signal]) : deadline.signal;
  try {
    return await abortable(work(signal), signal);
  } catch (error) {
    // Whatever the agent threw (the SDK's abort error, say), a fired deadline is the reason.
    if (deadline.signal.aborted && !deps.signal?.aborted) throw deadline.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Turns a finished run into the final status, result and reason. */
function completionOf(run: AgentRunResult, failOnToolError: boolean): TaskCompletion {
  const result = toJson({
    answer: run.answer,
    outcome: run.outcome,
    steps: run.steps,
    model: run.model,
    usage: run.usage,
    toolCalls: run.toolCalls,
    history: run.messages,
  });
  if (run.outcome === "step_limit") {
    return {
      status: "failed",
      result,
      errorMessage: `Agent stopped after ${run.steps} steps without a final answer.`,
    };
  }
  const failedCall = run.toolCalls.find((call) => !call.ok);
  if (failOnToolError && failedCall) {
    return {
      status: "failed",
      result,
      errorMessage: `Tool "${failedCall.name}" failed: ${failedCall.error}`,
    };
  }
  return { status: "completed", result, errorMessage: null };
}

/** Plain data → JSON value (drops `undefined` fields, as storing it as jsonb would). */
function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
