/**
 * Turns any thrown value into the one-line reason stored on a task or printed by the CLI.
 *
 * @module
 */
import { redactUrl } from "./redact.js";

/** Longest reason kept, in characters. */
export const MAX_REASON_LENGTH = 1000;

/**
 * The error's message on one line, with URL credentials redacted, at most
 * {@link MAX_REASON_LENGTH} characters (`"unknown error"` when empty). A drizzle
 * "Failed query: <sql> params: …" error is replaced by its cause
 * (`database query failed: relation "task" does not exist`): the SQL text says nothing useful
 * and the parameters may hold user data.
 *
 * @example describeError(new Error("connect to postgres://u:pw@db\nfailed")) // "connect to postgres://u:***@db failed"
 */
export function describeError(error: unknown): string {
  const text = redactUrl(messageOf(error)).replace(/\s+/g, " ").trim();
  if (text.length > MAX_REASON_LENGTH) return `${text.slice(0, MAX_REASON_LENGTH - 3)}...`;
  return text || "unknown error";
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return dropFailedQuery(String(error), undefined);
  if (isFailedQuery(error)) {
    const cause =
      error.cause instanceof Error ? error.cause.message : String(error.cause ?? "no cause given");
    return `database query failed: ${dropFailedQuery(cause, undefined)}`;
  }
  return dropFailedQuery(error.message, error.cause);
}

/**
 * Cuts drizzle's "Failed query: <sql> params: <values>" text out of a message that embeds it
 * (a wrapper quoting a failed query's message), keeping what comes before and the cause's
 * reason when there is one: the statement and its values never reach the user.
 */
function dropFailedQuery(text: string, cause: unknown): string {
  const at = text.indexOf("Failed query:");
  if (at < 0) return text;
  const reason = failedQueryReason(cause);
  return `${text.slice(0, at)}database query failed${reason ? `: ${reason}` : ""}`;
}

/** The reason under a failed query somewhere in `cause`'s chain (its driver error's message). */
function failedQueryReason(cause: unknown): string | undefined {
  for (let current = cause, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (!isFailedQuery(current))
      return current.message.includes("Failed query:") ? undefined : current.message;
    current = current.cause;
  }
  return undefined;
}

/** drizzle's DrizzleQueryError (its `name` is plain "Error", so it is recognised by shape). */
function isFailedQuery(error: Error): boolean {
  return error.message.startsWith("Failed query:") && "query" in error && "params" in error;
}
