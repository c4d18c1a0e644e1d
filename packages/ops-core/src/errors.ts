/**
 * Every error ops-core raises, in one module (no heavy imports: the actors module loads it).
 *
 * ```text
 * OpsCoreError
 * ├── TaskNotFoundError        a task id that does not exist
 * ├── TaskAlreadyExistsError   addTask with an id already in use
 * ├── ConfigError              bad or missing configuration (permanent)
 * ├── PermanentAgentError      the agent run failed and retrying would not help
 * │   ├── AgentTimeoutError    the run exceeded AGENT_EXECUTION_TIMEOUT
 * │   └── TaskInputError       the task's input_data cannot be run (e.g. no goal)
 * ├── AgentTaskFailedError     thrown by the actor for a permanent failure; carries the result
 * ├── TransientError           worth retrying later (outage, overload)
 * ├── LlmRequestError          an LLM HTTP request failed (status decides the class)
 * ├── TaskValidationError      a submitted task was rejected before anything was written
 * └── EnqueueError             RabbitMQ refused a stored task's message for good (it is marked failed)
 * ```
 *
 * Messages are one line, say what is wrong, and never contain secrets (URLs are redacted
 * by the code that builds them).
 *
 * @module
 */

import type { JsonValue } from "./task.js";

/** Base class of every error raised by ops-core. */
export class OpsCoreError extends Error {
  override name = "OpsCoreError";
}

/** The task id does not exist in the store. */
export class TaskNotFoundError extends OpsCoreError {
  override name = "TaskNotFoundError";
  /** @param taskId the id that was looked up */
  constructor(readonly taskId: string) {
    super(`task "${taskId}" does not exist`);
  }
}

/** `addTask` was given an id that is already in use. */
export class TaskAlreadyExistsError extends OpsCoreError {
  override name = "TaskAlreadyExistsError";
  /** @param taskId the duplicate id @param options standard `cause` */
  constructor(
    readonly taskId: string,
    options?: ErrorOptions,
  ) {
    super(`task "${taskId}" already exists`, options);
  }
}

/** A task was asked to change (cancelled, say) after it had already finished. */
export class TaskAlreadyFinishedError extends OpsCoreError {
  override name = "TaskAlreadyFinishedError";
  /** @param taskId the task @param status its final status */
  constructor(
    readonly taskId: string,
    readonly status: string,
  ) {
    super(`task ${taskId} is already ${status}: only a pending or running task can be cancelled`);
  }
}

/**
 * Configuration is missing or invalid. The message names the variable, e.g.
 * `AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0 (got "abc")`.
 */
export class ConfigError extends OpsCoreError {
  override name = "ConfigError";
  /** @param message one line naming the variable @param variable the offending variable, if any */
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

/** The agent run failed in a way a retry cannot fix: the task is marked `failed`. */
export class PermanentAgentError extends OpsCoreError {
  override name = "PermanentAgentError";
}

/** The agent run exceeded its deadline (`AGENT_EXECUTION_TIMEOUT`). Permanent for the task. */
export class AgentTimeoutError extends PermanentAgentError {
  override name = "AgentTimeoutError";
  /** @param timeoutMs the deadline that was exceeded */
  constructor(readonly timeoutMs: number) {
    super(`Agent execution timed out after ${formatSeconds(timeoutMs)} s.`);
  }
}

/** The task's `input_data` cannot be run, e.g. it has no goal. */
export class TaskInputError extends PermanentAgentError {
  override name = "TaskInputError";
}

/**
 * Thrown by the `execute_agent_task` actor when a task failed for good (step limit, tool error,
 * agent timeout, bad input, LLM 4xx). It is listed in the actor's `throws`, so opsq's Retries
 * dead-letters the message at once, and the task lifecycle middleware stores `message` as the
 * task's `error_message` and {@link AgentTaskFailedError.result} as its result.
 */
export class AgentTaskFailedError extends OpsCoreError {
  override name = "AgentTaskFailedError";
  /**
   * @param taskId the task that failed
   * @param message the reason, one line (stored as `error_message`)
   * @param result what to store as the task's result (the run so far); `undefined` keeps the stored one
   * @param options standard `cause`
   */
  constructor(
    readonly taskId: string,
    message: string,
    readonly result?: JsonValue,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A failure worth retrying later (an outage or overload); the queue should redeliver. */
export class TransientError extends OpsCoreError {
  override name = "TransientError";
}

/** Why an LLM request failed; decides {@link LlmRequestError.retryable}. */
export type LlmFailureKind = "status" | "connection" | "timeout" | "invalid-response";

/**
 * An LLM HTTP request failed after the SDK's own retries. `status` is the HTTP status when
 * the server answered. 4xx (other than 408/409/429) is permanent; 5xx, 408, 409, 429,
 * connection failures and request timeouts are transient.
 */
export class LlmRequestError extends OpsCoreError {
  override name = "LlmRequestError";
  /** True when retrying the request later may succeed. */
  readonly retryable: boolean;
  /**
   * @param message one line, without secrets
   * @param kind what went wrong
   * @param status HTTP status, when the server answered
   * @param options standard `cause`
   */
  constructor(
    message: string,
    readonly kind: LlmFailureKind,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.retryable = isRetryableLlmFailure(kind, status);
  }
}

/**
 * A task submission was rejected by validation: nothing was written and nothing enqueued.
 * The message names the field, e.g. `inputData.goal: required`.
 */
export class TaskValidationError extends OpsCoreError {
  override name = "TaskValidationError";
  /**
   * @param field dotted path of the offending field (`taskType`, `inputData.goal`, …)
   * @param problem what is wrong with it, e.g. `required`
   */
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * The task row was written but RabbitMQ refused its message for good (a refused publish, not an
 * outage: during an outage the message waits in the outbox and the task stays `pending`); the
 * task has been marked `failed` with `enqueue failed: <reason>` (unless even that write failed,
 * which the message then says).
 */
export class EnqueueError extends OpsCoreError {
  override name = "EnqueueError";
  /** @param taskId the task that was stored @param message one line @param options standard `cause` */
  constructor(
    readonly taskId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Statuses the OpenAI SDK itself retries, and that we treat as transient. */
const RETRYABLE_STATUSES = new Set([408, 409, 429]);

function isRetryableLlmFailure(kind: LlmFailureKind, status: number | undefined): boolean {
  if (kind === "connection" || kind === "timeout") return true;
  if (kind === "invalid-response" || status === undefined) return false;
  return status >= 500 || RETRYABLE_STATUSES.has(status);
}

/** `20000` → `"20"`, `1500` → `"1.5"`: seconds without trailing zeros. */
export function formatSeconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}
