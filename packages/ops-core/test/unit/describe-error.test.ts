import { describe, expect, it } from "vitest";
import { describeError, MAX_REASON_LENGTH } from "../../src/describe-error.js";

describe("describeError", () => {
  it("gives the message on one line with URL passwords redacted", () => {
    expect(describeError(new Error("cannot reach\n  postgres://app:s3cret@db:5432/ops"))).toBe(
      "cannot reach postgres://app:***@db:5432/ops",
    );
  });

  it("accepts anything thrown", () => {
    expect(describeError("plain text")).toBe("plain text");
    expect(describeError(new Error(""))).toBe("unknown error");
  });

  it("replaces drizzle's failed-query text (SQL and parameters) by the cause", () => {
    const error = Object.assign(
      new Error("Failed query: select * from task where id = $1\nparams: secret-id"),
      {
        query: "select * from task where id = $1",
        params: ["secret-id"],
        cause: new Error("connect ECONNREFUSED 127.0.0.1:5432"),
      },
    );
    expect(describeError(error)).toBe("database query failed: connect ECONNREFUSED 127.0.0.1:5432");
  });

  it("never shows a failed query's statement or values, even inside another error's message", () => {
    const failed = Object.assign(
      new Error(
        'Failed query: insert into "task" ("task_id", "input_data") values ($1, $2) returning *\nparams: task_1,{"goal":"secret goal"}',
      ),
      {
        query: 'insert into "task" …',
        params: ["task_1", '{"goal":"secret goal"}'],
        cause: new Error("unsupported Unicode escape sequence"),
      },
    );
    const wrapped = new Error(`could not submit: ${failed.message}`, { cause: failed });
    expect(describeError(wrapped)).toBe(
      "could not submit: database query failed: unsupported Unicode escape sequence",
    );
    expect(describeError(`thrown text: ${failed.message}`)).toBe("thrown text: database query failed");
    expect(describeError(Object.assign(new Error(failed.message), { cause: new Error("x") }))).toBe(
      "database query failed: x",
    );
  });

  it("cuts long reasons", () => {
    const text = describeError(new Error("x".repeat(5000)));
    expect(text).toHaveLength(MAX_REASON_LENGTH);
    expect(text.endsWith("...")).toBe(true);
  });
});
