import { describe, expect, it } from "vitest";
import { CliError, ExitCode, errorLine, exitCodeOf } from "../../../src/cli/exit-codes.js";
import {
  ConfigError,
  EnqueueError,
  LlmRequestError,
  TaskNotFoundError,
  TaskValidationError,
} from "../../../src/errors.js";

/** A postgres.js error with its SQLSTATE, wrapped as drizzle wraps it. */
function pgError(message: string, code: string): Error {
  return new Error(`Failed query: select 1`, { cause: Object.assign(new Error(message), { code }) });
}

describe("exitCodeOf", () => {
  it.each([
    [new ConfigError("DATABASE_URL is not set"), ExitCode.USAGE],
    [new TaskValidationError("inputData.goal", "required"), ExitCode.USAGE],
    [new EnqueueError("task_1", "enqueue failed"), ExitCode.UNAVAILABLE],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), ExitCode.UNAVAILABLE],
    [new TaskNotFoundError("task_1"), ExitCode.FAILED],
    [new LlmRequestError("HTTP 401", "status", 401), ExitCode.FAILED],
    [new CliError("still running", ExitCode.FAILED), ExitCode.FAILED],
    [new TypeError("bug"), ExitCode.FAILED],
    // The database or role does not exist, the password is wrong: unusable as configured, like unreachable.
    [pgError('database "nope" does not exist', "3D000"), ExitCode.UNAVAILABLE],
    [pgError('role "nobody" does not exist', "28000"), ExitCode.UNAVAILABLE],
    [pgError('password authentication failed for user "u"', "28P01"), ExitCode.UNAVAILABLE],
    [pgError('relation "task" does not exist', "42P01"), ExitCode.FAILED],
  ])("%s → %i", (error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});

describe("errorLine", () => {
  it("prints our own errors as their message", () => {
    expect(errorLine(new TaskNotFoundError("task_1"))).toBe('task "task_1" does not exist');
  });

  it("names foreign errors, flattens lines and redacts URL passwords", () => {
    expect(errorLine(new TypeError("bad\nthing at amqp://u:pw@mq"))).toBe(
      "TypeError: bad thing at amqp://u:***@mq",
    );
  });

  it("hints at migrating when the task table is missing", () => {
    const query = Object.assign(new Error("Failed query: select 1\nparams: "), {
      query: "select 1",
      params: [],
      cause: Object.assign(new Error('relation "task" does not exist'), { code: "42P01" }),
    });
    expect(errorLine(query)).toBe(
      'database query failed: relation "task" does not exist (run `ops-core migrate` first?)',
    );
  });
});
