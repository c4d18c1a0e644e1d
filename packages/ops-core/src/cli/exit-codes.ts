/**
 * Exit codes of the `ops-core` command, and how an error maps to one line and a code.
 *
 * @module
 */
import { CliError, type ExitCode as OpsqExitCode } from "opsq/cli";
import { classifyError } from "../classify-error.js";
import { describeError } from "../describe-error.js";
import {
  ConfigError,
  EnqueueError,
  TaskInputError,
  TaskNotFoundError,
  TaskValidationError,
} from "../errors.js";

/** An expected CLI failure: printed as one line, exits with its code (opsq's, shared by both CLIs). */
export { CliError };

/** Exit codes of `ops-core`: the numbers of `opsq worker`'s, with the meanings of this command. */
export const ExitCode = {
  /** Done (for `submit --wait`: the task completed). */
  OK: 0,
  /** The task failed or was cancelled, `--wait` timed out, the task does not exist, or an unexpected error. */
  FAILED: 1,
  /** Bad input or configuration (unknown option, invalid task, missing DATABASE_URL, …). */
  USAGE: 2,
  /** A service is unreachable (PostgreSQL, RabbitMQ), the database or role does not exist, or the enqueue failed. */
  UNAVAILABLE: 3,
} as const satisfies Record<string, OpsqExitCode>;

/** One of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for `error`. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (
    error instanceof ConfigError ||
    error instanceof TaskValidationError ||
    error instanceof TaskInputError
  ) {
    return ExitCode.USAGE;
  }
  if (error instanceof EnqueueError) return ExitCode.UNAVAILABLE;
  if (error instanceof TaskNotFoundError) return ExitCode.FAILED;
  if (sqlStateOf(error, (code) => UNUSABLE_SQLSTATES.test(code))) return ExitCode.UNAVAILABLE;
  return classifyError(error) === "transient" ? ExitCode.UNAVAILABLE : ExitCode.FAILED;
}

/**
 * SQLSTATEs saying the server cannot be used as configured: class 28 (the role does not exist,
 * or its password is wrong) and 3D000 (the database does not exist). Not transient (a retry does
 * not clear them), but the service is unusable, as when it is unreachable.
 */
const UNUSABLE_SQLSTATES = /^(28[0-9A-Z]{3}|3D000)$/;

/** True when `error` or one of its causes has a string `code` that `matches`. */
function sqlStateOf(error: unknown, matches: (code: string) => boolean): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && matches(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The line printed for `error`: its message on one line, URL passwords redacted. Errors that
 * are not ours get their class name in front (`PostgresError: relation "task" does not exist`).
 */
export function errorLine(error: unknown): string {
  const ours =
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof TaskValidationError ||
    error instanceof TaskInputError ||
    error instanceof EnqueueError ||
    error instanceof TaskNotFoundError;
  const text = describeError(error) + hintFor(error);
  const name = error instanceof Error ? error.name : "";
  return ours || !name || name === "Error" ? text : `${name}: ${text}`;
}

/** SQLSTATE 42P01 (undefined table) almost always means the database was never migrated. */
function hintFor(error: unknown): string {
  return sqlStateOf(error, (code) => code === "42P01") ? " (run `ops-core migrate` first?)" : "";
}
