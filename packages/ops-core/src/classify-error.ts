/**
 * Splits failures into the two kinds the worker cares about:
 *
 * - **permanent**: retrying cannot help (bad config, bad input, LLM 4xx, the agent timed out).
 *   The task is marked `failed` with the reason and the message is acked.
 * - **transient**: an outage or overload (database connection lost, LLM 5xx/429/connection
 *   failure after the SDK's own retries, the worker shutting down). The error is rethrown so
 *   the queue redelivers the message with backoff.
 *
 * Unknown errors are permanent: a bug retried 20 times is still a bug, and the reason is
 * recorded on the task instead.
 *
 * @module
 */
import { Shutdown, TimeLimitExceeded } from "opsq";
import {
  ConfigError,
  LlmRequestError,
  PermanentAgentError,
  TaskAlreadyExistsError,
  TaskNotFoundError,
  TransientError,
} from "./errors.js";

/** The two ways a failure is handled. */
export type ErrorClass = "permanent" | "transient";

/** Node and postgres.js error codes meaning "could not reach / lost the server". */
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** SQLSTATEs (exact) that a retry can clear: shutdown, startup, deadlock, serialization. */
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P02", "57P03", "40001", "40P01"]);

/** SQLSTATE classes: 08 connection exception, 53 insufficient resources. */
const TRANSIENT_SQLSTATE_CLASSES = new Set(["08", "53"]);

/** Statuses an HTTP API answers when it is overloaded or briefly unavailable. */
const TRANSIENT_HTTP_STATUSES = new Set([408, 409, 429]);

/**
 * Names of errors from the openai SDK (not imported here: it is heavy) and the platform
 * (`DOMException`'s `AbortError`) that signal a transient condition. opsq's own errors are
 * recognised with `instanceof`.
 */
const TRANSIENT_NAMES = new Set(["APIConnectionError", "APIConnectionTimeoutError", "AbortError"]);

/**
 * Classifies `error` as `"permanent"` or `"transient"`, looking through `cause` chains and
 * `AggregateError`s (so a drizzle query error wrapping a lost connection is transient).
 *
 * @example
 * classifyError(new LlmRequestError("HTTP 401", "status", 401)); // "permanent"
 * classifyError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })); // "transient"
 */
export function classifyError(error: unknown): ErrorClass {
  return classify(error, 0) ?? "permanent";
}

function classify(error: unknown, depth: number): ErrorClass | undefined {
  if (depth > 8 || error === null || typeof error !== "object") return undefined;
  const own = classifyOwn(error);
  if (own) return own;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = classify(inner, depth + 1);
      if (found) return found;
    }
  }
  return classify((error as { cause?: unknown }).cause, depth + 1);
}

function classifyOwn(error: object): ErrorClass | undefined {
  // The worker handing the message back, or opsq's time limit: a later attempt may finish.
  if (error instanceof TransientError || error instanceof Shutdown || error instanceof TimeLimitExceeded) {
    return "transient";
  }
  if (error instanceof LlmRequestError) return error.retryable ? "transient" : "permanent";
  if (
    error instanceof ConfigError ||
    error instanceof PermanentAgentError ||
    error instanceof TaskNotFoundError ||
    error instanceof TaskAlreadyExistsError
  ) {
    return "permanent";
  }
  const { code, status, name } = error as { code?: unknown; status?: unknown; name?: unknown };
  if (typeof code === "string" && isTransientCode(code)) return "transient";
  if (typeof status === "number" && status >= 400 && status < 600) {
    return status >= 500 || TRANSIENT_HTTP_STATUSES.has(status) ? "transient" : "permanent";
  }
  if (name === "TimeoutError") return "permanent";
  if (typeof name === "string" && TRANSIENT_NAMES.has(name)) return "transient";
  return undefined;
}

function isTransientCode(code: string): boolean {
  if (TRANSIENT_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
  return /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
}
