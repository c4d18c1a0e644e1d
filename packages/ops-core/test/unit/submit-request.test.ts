import { describe, expect, it } from "vitest";
import { TaskValidationError } from "../../src/errors.js";
import { type SubmitTaskRequest, TASK_TYPES, validateSubmitRequest } from "../../src/submit-request.js";

const fieldOf = (request: unknown): string => {
  try {
    validateSubmitRequest(request as SubmitTaskRequest);
  } catch (error) {
    if (error instanceof TaskValidationError) return error.message;
    throw error;
  }
  throw new Error("expected a TaskValidationError");
};

describe("validateSubmitRequest", () => {
  it("accepts an agent task, keeping the input as given and trimming the name", () => {
    expect(
      validateSubmitRequest({
        taskType: "agent_task",
        inputData: { goal: " What is 6 * 7? ", maxSteps: 3 },
        name: "  calc ",
      }),
    ).toEqual({ taskType: "agent_task", inputData: { goal: " What is 6 * 7? ", maxSteps: 3 }, name: "calc" });
    expect(validateSubmitRequest({ taskType: "agent_task", inputData: { prompt: "p" }, name: null })).toEqual(
      {
        taskType: "agent_task",
        inputData: { prompt: "p" },
      },
    );
  });

  it("knows exactly one task type", () => {
    expect(Object.keys(TASK_TYPES)).toEqual(["agent_task"]);
  });

  it.each([
    [
      { taskType: "agent_task", inputData: {} },
      "inputData.goal: a non-empty goal (or prompt) string is required",
    ],
    [{ taskType: "agent_task" }, "inputData: required"],
    [{ inputData: { goal: "g" } }, "taskType: required"],
    [
      { taskType: "agent_run", inputData: { goal: "g" } },
      'taskType: unknown task type "agent_run" (known: agent_task)',
    ],
    [
      { taskType: "constructor", inputData: { goal: "g" } },
      'taskType: unknown task type "constructor" (known: agent_task)',
    ],
    [{ taskType: "agent_task", inputData: { goal: "g" }, prompt: "p" }, "prompt: unknown field"],
    [
      { taskType: "agent_task", inputData: { goal: "g", temperature: 1 } },
      "inputData.temperature: unknown field",
    ],
    [
      { taskType: "agent_task", inputData: "do it" },
      "inputData: Invalid input: expected object, received string",
    ],
    [
      { taskType: "agent_task", inputData: { goal: 7 } },
      "inputData.goal: Invalid input: expected string, received number",
    ],
    [
      { taskType: "agent_task", inputData: { goal: "g", maxSteps: 99 } },
      "inputData.maxSteps: Too big: expected number to be <=50",
    ],
    [
      { taskType: "agent_task", inputData: { goal: "g" }, name: "x".repeat(201) },
      "name: Too big: expected string to have <=200 characters",
    ],
    [null, "request: Invalid input: expected object, received null"],
    [
      { taskType: "agent_task", inputData: { goal: "before\u0000after" } },
      "inputData.goal: must not contain a NUL character (\\u0000)",
    ],
    [
      { taskType: "agent_task", inputData: { goal: "half \uD83D of an emoji" } },
      "inputData.goal: must not contain a lone UTF-16 surrogate (not valid Unicode)",
    ],
    [
      { taskType: "agent_task", inputData: { prompt: "\uDE00 low half first" } },
      "inputData.prompt: must not contain a lone UTF-16 surrogate (not valid Unicode)",
    ],
    [
      { taskType: "agent_task", inputData: { goal: "g", model: "gpt\u0000" } },
      "inputData.model: must not contain a NUL character (\\u0000)",
    ],
    [
      { taskType: "agent_\u0000task", inputData: { goal: "g" } },
      "taskType: must not contain a NUL character (\\u0000)",
    ],
    [
      { taskType: "agent_task", inputData: { goal: "g" }, name: "n\uD800" },
      "name: must not contain a lone UTF-16 surrogate (not valid Unicode)",
    ],
    [
      { taskType: "agent_task", inputData: { goal: "g", "ke\u0000y": 1 } },
      "inputData.ke\\u0000y: unknown field",
    ],
  ])("rejects %j naming the field", (request, message) => {
    expect(fieldOf(request)).toBe(message);
  });

  it("accepts well-formed text: emoji (surrogate pairs), accents, other control characters", () => {
    const goal = "café 😀 \t tab \u0001 ok";
    expect(validateSubmitRequest({ taskType: "agent_task", inputData: { goal } }).inputData).toEqual({
      goal,
    });
  });

  it("exposes the field and the problem separately", () => {
    try {
      validateSubmitRequest({ taskType: "agent_task", inputData: { goal: "g", extra: 1 } });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ field: "inputData.extra", problem: "unknown field" });
    }
  });
});
