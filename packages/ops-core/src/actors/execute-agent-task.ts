/**
 * The `execute_agent_task` actor: its definition ({@link defineExecuteAgentTask}) and what it
 * does with one message ({@link executeAgentTask}): claim the task → run the agent → complete
 * it; or throw.
 *
 * - a malformed argument (not a task id) → `UnrecoverableError` (dead-lettered at once);
 * - a missing task is logged and acked; a finished one, or one another delivery is running (a
 *   fresh duplicate), is acked untouched;
 * - a good run → the task `completed`, written here (its only writer); a database outage at
 *   that moment → the write is retried in the background and the message acked;
 * - a permanent failure (step limit, tool error, agent timeout, bad input, LLM 4xx, any error
 *   not known to be transient) → {@link AgentTaskFailedError}, listed in the actor's `throws`,
 *   carrying the result: opsq's Retries dead-letters the message at once, and the task
 *   lifecycle middleware (`task-lifecycle.ts`) marks the task `failed`;
 * - a transient failure (database or LLM outage, time limit, abort) → thrown as it is: Retries
 *   decides, by the actor's and the message's options, whether it is retried or dead-lettered
 *   (then the lifecycle marks the task `failed`); nothing here re-derives that policy.
 *
 * Light at import: the agent loop and zod load on the first message.
 *
 * @module
 */
import { hostname } from "node:os";
import { type Context, context as otelContext } from "@opentelemetry/api";
import {
  type Actor,
  type Broker,
  defineActor,
  getContext,
  MessageCancelled,
  messageTraceContext,
  UnrecoverableError,
} from "opsq";
import { abortable } from "../abortable.js";
import type { LlmClient } from "../agent/llm-client.js";
import type { AgentRunResult } from "../agent/run-agent.js";
import type { SecurityManager } from "../agent/security.js";
import { inSpan } from "../agent/spans.js";
import type { Tool } from "../agent/tool.js";
import type { ToolRegistry } from "../agent/tool-registry.js";
import { EXECUTE_AGENT_TASK } from "../agent-task-message.js";
import { classifyError } from "../classify-error.js";
import { describeError } from "../describe-error.js";
import { AgentTaskFailedError, AgentTimeoutError } from "../errors.js";
import type { Logger } from "../logger.js";
import { redactError } from "../redact.js";
import type { FinalWriteRetries } from "../services/final-write-retries.js";
import type { JsonValue, Task, TaskStatus } from "../task.js";
import type { TaskCompletion, TaskStore } from "../task-store-interface.js";
import type { ResolvedTaskRuntime } from "./runtime.js";

export { EXECUTE_AGENT_TASK } from "../agent-task-message.js";

/**
 * Extra time opsq's time limit gives an attempt beyond the agent's own deadline. The agent's
 * deadline is what normally ends a slow run (`failed: Agent execution timed out after N s.`);
 * the time limit is only a backstop for an attempt stuck elsewhere (a hung database call), and it
 * is retried like a transient failure.
 */
export const TIME_LIMIT_GRACE_MS = 5_000;

/** Recorded on the tasks this process claims: `<host>:<pid>`. */
export const WORKER_ID = `${hostname()}:${process.pid}`;

/** Options of {@link defineExecuteAgentTask}. */
export interface ExecuteAgentTaskOptions {
  /** The broker to register on. */
  broker: Broker;
  /** Queue of its messages. */
  queue: string;
  /** Retries after the first attempt, for transient failures. */
  maxRetries: number;
  /** Smallest backoff before a retry. */
  minBackoffMs: number;
  /** Largest backoff before a retry. */
  maxBackoffMs: number;
  /** The agent's deadline; opsq's time limit is this plus {@link TIME_LIMIT_GRACE_MS}. */
  agentTimeoutMs: number;
  /** The store, LLM client and the rest, resolved on the first message. */
  runtime(): Promise<ResolvedTaskRuntime>;
}

/** The actor (handler `(taskId: string)`); send to it with `submitTask`, which stores the task first. */
export type ExecuteAgentTaskActor = Actor<[taskId: string], void>;

/**
 * Defines the `execute_agent_task` actor on `options.broker`, with an explicit time limit and
 * retry policy, and {@link AgentTaskFailedError} in its `throws`.
 *
 * @throws opsq's ActorDefinitionError when the broker already has an actor of that name
 */
export function defineExecuteAgentTask(options: ExecuteAgentTaskOptions): ExecuteAgentTaskActor {
  return defineActor(EXECUTE_AGENT_TASK, (taskId: string) => handle(taskId, options), {
    broker: options.broker,
    queue: options.queue,
    maxRetries: options.maxRetries,
    minBackoffMs: options.minBackoffMs,
    maxBackoffMs: options.maxBackoffMs,
    timeLimitMs: options.agentTimeoutMs + TIME_LIMIT_GRACE_MS,
    throws: [AgentTaskFailedError],
  });
}

// The handler: checks the argument, resolves the runtime, runs, and keeps credentials out of what opsq logs.
async function handle(taskId: unknown, options: ExecuteAgentTaskOptions): Promise<void> {
  const context = getContext();
  if (typeof taskId !== "string" || taskId.trim() === "") {
    throw new UnrecoverableError(
      `execute_agent_task needs a task id string as its argument (got ${JSON.stringify(taskId) ?? String(taskId)})`,
    );
  }
  let runtime: ResolvedTaskRuntime;
  try {
    runtime = await options.runtime();
  } catch (error) {
    if (classifyError(error) === "transient") throw redactError(error);
    throw new UnrecoverableError(`cannot run task ${taskId}: ${describeError(error)}`, {
      cause: redactError(error),
    });
  }
  try {
    // A span for the task, a child of the message's process span (Tracing middleware).
    await inSpan(
      {
        name: "invoke_agent ops-core",
        attributes: {
          "gen_ai.operation.name": "invoke_agent",
          "gen_ai.agent.name": "ops-core",
          "ops_core.task.id": taskId,
          "ops_core.task.attempt": context.retries + 1,
        },
        parent: messageTraceContext() ?? otelContext.active(),
      },
      (_span, traceContext) =>
        executeAgentTask(taskId, {
          ...runtime,
          signal: context.signal,
          logger: context.logger,
          workerId: WORKER_ID,
          // A fresh message (neither redelivered nor a retry) finding the task running is a duplicate.
          takeOver: context.redelivered || context.retries > 0,
          traceContext,
        }),
    );
  } catch (error) {
    // opsq logs what is thrown with its stack and cause chain: no credentials may be in them.
    throw redactError(asPermanent(taskId, error, context.signal));
  }
}

/**
 * An error that escaped the run (a store error, say) and that no retry can fix becomes an
 * {@link AgentTaskFailedError}, so Retries fails it at once; an aborted attempt (time limit,
 * shutdown, cancel) and a transient error are left for opsq to decide.
 */
function asPermanent(taskId: string, error: unknown, signal: AbortSignal): unknown {
  if (error instanceof AgentTaskFailedError || signal.aborted || classifyError(error) === "transient") {
    return error;
  }
  return new AgentTaskFailedError(taskId, describeError(error), undefined, { cause: error });
}

/** Everything {@link executeAgentTask} uses. */
export interface ExecuteAgentTaskDeps {
  /** Where tasks live. */
  store: TaskStore;
  /** The model. */
  llm: LlmClient;
  /** Tools offered to the model. */
  tools: ToolRegistry | readonly Tool[];
  /** Checks each tool call. */
  security: SecurityManager;
  /** Deadline of the agent run (`AGENT_EXECUTION_TIMEOUT` × 1000). */
  timeoutMs: number;
  /** The attempt's signal (time limit, worker shutdown, cancellation); an abort is transient. */
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
  /** Fail the task when any tool call failed or was denied. @default true */
  failOnToolError?: boolean;
  /** Parent of the LLM and tool call spans. @default the active context */
  traceContext?: Context;
  /** Refresh the task's `heartbeat_at` this often while it runs. @default no heartbeats */
  heartbeatMs?: number;
  /**
   * Retries the `completed` write in the background when the database is unreachable; without
   * it, that error is thrown (and the message retried).
   */
  finalWrites?: FinalWriteRetries;
}

/** What {@link executeAgentTask} did, for logs and tests. */
export type ExecuteAgentTaskOutcome =
  | { kind: "missing" }
  | { kind: "skipped"; taskStatus: TaskStatus }
  | { kind: "completed"; task: Task }
  | { kind: "superseded" }
  | { kind: "deferred" };

/**
 * Claims the task, runs the agent and completes the task (see the module comment).
 *
 * @throws {AgentTaskFailedError} when the task failed for good (carrying the result to store)
 * @throws transient errors as they are, for opsq's Retries to decide
 */
export async function executeAgentTask(
  taskId: string,
  deps: ExecuteAgentTaskDeps,
): Promise<ExecuteAgentTaskOutcome> {
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

  const agent = await loadAgent();
  const memory = new agent.ShortTermMemory();
  const stopHeartbeats = startHeartbeats(taskId, deps);
  let completion: TaskCompletion;
  try {
    const input = agent.parseAgentTaskInput(claimed.inputData);
    const run = await runWithDeadline(deps, (signal) =>
      agent.runAgent({
        goal: input.goal,
        llm: deps.llm,
        tools: deps.tools,
        security: deps.security,
        signal,
        memory,
        ...(deps.traceContext ? { traceContext: deps.traceContext } : {}),
        ...(input.model ? { model: input.model } : {}),
        ...(input.maxSteps ? { maxSteps: input.maxSteps } : {}),
      }),
    );
    completion = completionOf(run, deps.failOnToolError ?? true);
  } catch (error) {
    if (deps.signal?.aborted || classifyError(error) === "transient") {
      logger.warn(
        { ...log, error: describeError(error) },
        deps.signal?.reason instanceof MessageCancelled
          ? "task run stopped: its message was cancelled"
          : "task run interrupted; opsq decides what comes next",
      );
      throw error;
    }
    const reason = describeError(error);
    throw new AgentTaskFailedError(taskId, reason, toJson({ error: reason, history: memory.messages() }), {
      cause: error,
    });
  } finally {
    stopHeartbeats();
  }
  if (completion.status === "failed") {
    throw new AgentTaskFailedError(taskId, completion.errorMessage ?? "failed", completion.result ?? null);
  }
  return complete(taskId, completion, deps);
}

/** Writes `completed` with the result; a database outage defers the write to `finalWrites`. */
async function complete(
  taskId: string,
  completion: TaskCompletion,
  deps: ExecuteAgentTaskDeps,
): Promise<ExecuteAgentTaskOutcome> {
  const { store, logger } = deps;
  const log = { taskId, workerId: deps.workerId };
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
    return { kind: "deferred" };
  }
  if (!written) {
    logger.warn(log, "task is no longer running (cancelled or taken over); result dropped");
    return { kind: "superseded" };
  }
  logger.info(log, "task completed");
  return { kind: "completed", task: written };
}

// The agent loop and input parsing (zod), loaded on the first task.
type AgentModules = typeof import("../agent/run-agent.js") &
  typeof import("../agent-task-input.js") &
  typeof import("../agent/short-term-memory.js");
let agentModules: Promise<AgentModules> | undefined;

function loadAgent(): Promise<AgentModules> {
  agentModules ??= Promise.all([
    import("../agent/run-agent.js"),
    import("../agent-task-input.js"),
    import("../agent/short-term-memory.js"),
  ]).then(([run, input, memory]) => ({ ...run, ...input, ...memory }));
  return agentModules;
}

/** Refreshes the task's heartbeat every `heartbeatMs` until the returned function is called. */
function startHeartbeats(taskId: string, deps: ExecuteAgentTaskDeps): () => void {
  const { store, heartbeatMs } = deps;
  if (heartbeatMs === undefined) return () => {};
  let stopped = false;
  const timer = setInterval(() => {
    store.heartbeat(taskId, deps.workerId).then(
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
async function runWithDeadline<T>(
  deps: ExecuteAgentTaskDeps,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
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
