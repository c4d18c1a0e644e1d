import { Shutdown, TimeLimitExceeded } from "opsq";
import { describe, expect, it } from "vitest";
import { classifyError } from "../../src/classify-error.js";
import {
  AgentTimeoutError,
  ConfigError,
  LlmRequestError,
  TaskInputError,
  TaskNotFoundError,
  TransientError,
} from "../../src/errors.js";

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe("classifyError", () => {
  it.each([
    ["config error", new ConfigError("DATABASE_URL is not set")],
    ["timeout", new AgentTimeoutError(20_000)],
    ["bad task input", new TaskInputError("input_data.goal: required")],
    ["missing task", new TaskNotFoundError("task_x")],
    ["LLM 400", new LlmRequestError("HTTP 400", "status", 400)],
    ["LLM 401", new LlmRequestError("HTTP 401", "status", 401)],
    ["LLM 403", new LlmRequestError("HTTP 403", "status", 403)],
    ["LLM 404", new LlmRequestError("HTTP 404", "status", 404)],
    ["LLM 422", new LlmRequestError("HTTP 422", "status", 422)],
    ["LLM malformed reply", new LlmRequestError("no choices", "invalid-response")],
    ["SDK-shaped 401", Object.assign(new Error("401"), { status: 401 })],
    ["unique violation", withCode("23505")],
    ["AbortSignal.timeout()", new DOMException("timed out", "TimeoutError")],
    ["unknown bug", new TypeError("x is undefined")],
    ["an error merely named Shutdown", Object.assign(new Error("not opsq's"), { name: "Shutdown" })],
    ["non-error", "something odd"],
  ])("%s is permanent", (_label, error) => {
    expect(classifyError(error)).toBe("permanent");
  });

  it.each([
    ["explicit", new TransientError("broker down")],
    ["opsq's Shutdown (instanceof, not its name)", new Shutdown()],
    ["opsq's time limit", new TimeLimitExceeded(1_000)],
    ["LLM 500", new LlmRequestError("HTTP 500", "status", 500)],
    ["LLM 503", new LlmRequestError("HTTP 503", "status", 503)],
    ["LLM 429", new LlmRequestError("HTTP 429", "status", 429)],
    ["LLM connection", new LlmRequestError("refused", "connection")],
    ["LLM request timeout", new LlmRequestError("timed out", "timeout")],
    ["SDK-shaped 502", Object.assign(new Error("502"), { status: 502 })],
    ["ECONNREFUSED", withCode("ECONNREFUSED")],
    ["postgres.js closed", withCode("CONNECTION_CLOSED")],
    ["postgres.js connect timeout", withCode("CONNECT_TIMEOUT")],
    ["admin shutdown 57P01", withCode("57P01")],
    ["connection failure 08006", withCode("08006")],
    ["too many connections 53300", withCode("53300")],
    ["serialization failure 40001", withCode("40001")],
    ["worker abort", new DOMException("aborted", "AbortError")],
    [
      "drizzle-wrapped lost connection",
      new Error("Failed query: select …", { cause: withCode("ECONNRESET") }),
    ],
    ["happy-eyeballs AggregateError", new AggregateError([withCode("ECONNREFUSED")], "connect failed")],
  ])("%s is transient", (_label, error) => {
    expect(classifyError(error)).toBe("transient");
  });

  it("prefers the outer error's own class over its cause", () => {
    const error = new TaskInputError("bad input");
    (error as { cause?: unknown }).cause = withCode("ECONNREFUSED");
    expect(classifyError(error)).toBe("permanent");
  });
});

describe("error messages", () => {
  it("are one line and say what is wrong", () => {
    expect(new TaskNotFoundError("task_1").message).toBe('task "task_1" does not exist');
    expect(new AgentTimeoutError(20_000).message).toBe("Agent execution timed out after 20 s.");
    expect(new AgentTimeoutError(1500).message).toBe("Agent execution timed out after 1.5 s.");
    expect(new AgentTimeoutError(1500).name).toBe("AgentTimeoutError");
  });

  it("mark LLM failures retryable exactly as the SDK retries them", () => {
    const retryable = [400, 401, 403, 404, 408, 409, 422, 429, 500, 503].filter(
      (status) => new LlmRequestError("x", "status", status).retryable,
    );
    expect(retryable).toEqual([408, 409, 429, 500, 503]);
  });
});
