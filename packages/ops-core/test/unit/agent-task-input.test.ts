import { describe, expect, it } from "vitest";
import { parseAgentTaskInput } from "../../src/agent-task-input.js";
import { TaskInputError } from "../../src/errors.js";

describe("parseAgentTaskInput", () => {
  it("reads goal, model and maxSteps, trimming the goal", () => {
    expect(parseAgentTaskInput({ goal: "  do it ", model: "m", maxSteps: 3, extra: true })).toEqual({
      goal: "do it",
      model: "m",
      maxSteps: 3,
    });
  });

  it("accepts prompt as an alias, goal winning when both are given", () => {
    expect(parseAgentTaskInput({ prompt: "p" })).toEqual({ goal: "p" });
    expect(parseAgentTaskInput({ prompt: "p", goal: "g" })).toEqual({ goal: "g" });
  });

  it.each([
    [{}, "input_data.goal: a non-empty goal (or prompt) string is required"],
    [{ goal: "   " }, "input_data.goal: Too small: expected string to have >=1 characters"],
    [{ goal: 42 }, "input_data.goal: Invalid input: expected string, received number"],
    [{ goal: "g", maxSteps: 0 }, "input_data.maxSteps: Too small: expected number to be >=1"],
    [null, "input_data: Invalid input: expected object, received null"],
    [{ goal: "g\u0000" }, "input_data.goal: must not contain a NUL character (\\u0000)"],
    [{ goal: "\uDFFF" }, "input_data.goal: must not contain a lone UTF-16 surrogate (not valid Unicode)"],
  ])("rejects %j with a one-line message naming the field", (input, message) => {
    expect(() => parseAgentTaskInput(input)).toThrow(new TaskInputError(message));
  });
});
