import { describe, expect, it } from "vitest";
import { redactError, redactUrl, redactUrlValue } from "../../src/redact.js";

describe("redactUrl", () => {
  it.each([
    ["postgres://app:s3cret@db:5432/ops", "postgres://app:***@db:5432/ops"],
    ["amqp://guest:guest@localhost:5672", "amqp://guest:***@localhost:5672"],
    ["https://:token@example.com/v1", "https://:***@example.com/v1"],
    ["postgres://app@db/ops", "postgres://app@db/ops"],
    ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"],
    [
      "connect to postgres://a:b@h1/x failed, then amqp://c:d@h2 too",
      "connect to postgres://a:***@h1/x failed, then amqp://c:***@h2 too",
    ],
    // Unencoded passwords: a raw "/", ":" or "@" is still part of the password.
    ["http://alice:pa/ss@llm.local/v1", "http://alice:***@llm.local/v1"],
    ["postgres://app:p@ss:w/rd@db/ops", "postgres://app:***@db/ops"],
    ['(got "http://alice:pa/ss@llm.local/v1")', '(got "http://alice:***@llm.local/v1")'],
  ])("%s → %s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe("redactUrlValue", () => {
  it.each([
    ["http://alice:pa ss/x@llm.local/v1", "http://alice:***@llm.local/v1"],
    ["http://alice:two  spaces @ and more@host", "http://alice:***@host"],
    ["postgres://app:s3cret@db:5432/ops", "postgres://app:***@db:5432/ops"],
    ["postgres://app@db/ops", "postgres://app@db/ops"],
    ["not a url: x:y@z", "not a url: x:y@z"],
    ["ftp://x", "ftp://x"],
  ])("%s → %s", (input, expected) => {
    expect(redactUrlValue(input)).toBe(expected);
  });
});

describe("redactError", () => {
  it("cleans messages, stacks and string fields along the whole cause chain", () => {
    const root = Object.assign(
      new TypeError(
        "Request cannot be constructed from a URL that includes credentials: http://alice:s3cr%2Ft@h/v1",
      ),
      { input: "http://alice:s3cr/t@h/v1" },
    );
    const middle = new Error("Connection error.", { cause: root });
    const top = new AggregateError([new Error("key sk-live-123456 refused")], "LLM failed", {
      cause: middle,
    });
    expect(redactError(top, ["sk-live-123456", "s3cr/t"])).toBe(top);
    const everything = [top, middle, root, top.errors[0] as Error]
      .flatMap((error) => [error.message, error.stack ?? "", ...Object.values(error).map(String)])
      .join("\n");
    expect(everything).not.toMatch(/s3cr|sk-live/);
    expect(root.message).toBe(
      "Request cannot be constructed from a URL that includes credentials: http://alice:***@h/v1",
    );
    expect(root.stack).toContain("http://alice:***@h/v1");
    expect(Object.keys(root)).toEqual(["input"]);
  });

  it("survives cycles, hostile getters, frozen errors and non-errors", () => {
    const looped = new Error("a http://u:pw@h");
    (looped as { cause?: unknown }).cause = looped;
    expect(redactError(looped).message).toBe("a http://u:***@h");
    const hostile = new Error("b http://u:pw@h");
    Object.defineProperty(hostile, "cause", {
      get() {
        throw new Error("no");
      },
    });
    expect(redactError(hostile).message).toBe("b http://u:***@h");
    const frozen = Object.freeze(new Error("c http://u:pw@h"));
    expect(() => redactError(frozen)).not.toThrow();
    expect(redactError("plain http://u:pw@h")).toBe("plain http://u:pw@h");
  });
});
