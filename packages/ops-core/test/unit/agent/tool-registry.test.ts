import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTool, toToolDefinition } from "../../../src/agent/tool.js";
import { ToolRegistry } from "../../../src/agent/tool-registry.js";

const add = defineTool({
  name: "add",
  description: "Adds two numbers.",
  input: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => a + b,
});

describe("defineTool", () => {
  it("refuses names the OpenAI tools API would reject", () => {
    expect(() =>
      defineTool({ name: "has space", description: "", input: z.object({}), execute: () => null }),
    ).toThrow('tool name "has space" must match');
  });
});

describe("toToolDefinition", () => {
  it("computes the JSON Schema once per tool and hands out a frozen definition", () => {
    const first = toToolDefinition(add);
    expect(first).toEqual({
      name: "add",
      description: "Adds two numbers.",
      parameters: {
        type: "object",
        properties: { a: { type: "number" }, b: { type: "number" } },
        required: ["a", "b"],
      },
    });
    expect(toToolDefinition(add)).toBe(first);
    expect(Object.isFrozen(first.parameters.properties)).toBe(true);
    expect(() => {
      (first.parameters as { type: string }).type = "array";
    }).toThrow(TypeError);
  });
});

describe("ToolRegistry", () => {
  const signal = new AbortController().signal;
  const registry = new ToolRegistry([add]);

  it("runs a tool with validated arguments", async () => {
    expect(await registry.execute({ id: "1", name: "add", arguments: '{"a":2,"b":3}' }, { signal })).toEqual({
      ok: true,
      output: 5,
    });
  });

  it.each([
    [{ name: "nope", arguments: "{}" }, 'unknown tool "nope"'],
    [{ name: "add", arguments: "{not json" }, "arguments are not valid JSON"],
    [
      { name: "add", arguments: '{"a":1}' },
      "invalid arguments: b: Invalid input: expected number, received undefined",
    ],
  ])("turns %o into a tool error, not an exception", async (call, error) => {
    expect(await registry.execute({ id: "1", ...call }, { signal })).toEqual({ ok: false, error });
  });

  it("catches a tool's exception", async () => {
    const broken = defineTool({
      name: "broken",
      description: "Always fails.",
      input: z.object({}),
      execute: () => {
        throw new Error("disk on fire");
      },
    });
    const result = await new ToolRegistry([broken]).execute(
      { id: "1", name: "broken", arguments: "" },
      { signal },
    );
    expect(result).toEqual({ ok: false, error: "disk on fire" });
  });

  it("propagates an abort instead of reporting it as a tool error", async () => {
    const controller = new AbortController();
    const slow = defineTool({
      name: "slow",
      description: "Waits for the signal.",
      input: z.object({}),
      execute: (_input, context) =>
        new Promise((_resolve, reject) =>
          context.signal.addEventListener("abort", () => reject(new Error("stopped"))),
        ),
    });
    const running = new ToolRegistry([slow]).execute(
      { id: "1", name: "slow", arguments: "{}" },
      { signal: controller.signal },
    );
    controller.abort(new Error("deadline"));
    await expect(running).rejects.toThrow("deadline");
  });

  it("refuses two tools with the same name", () => {
    expect(() => new ToolRegistry([add, add])).toThrow('tool "add" is already registered');
  });
});
