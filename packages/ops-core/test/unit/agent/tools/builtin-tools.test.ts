import { describe, expect, it } from "vitest";
import { ToolRegistry } from "../../../../src/agent/tool-registry.js";
import { builtinTools, createCurrentTimeTool } from "../../../../src/agent/tools/index.js";

const signal = new AbortController().signal;
const call = (name: string, args: unknown) => ({ id: "c1", name, arguments: JSON.stringify(args) });

describe("built-in tools", () => {
  const registry = new ToolRegistry(builtinTools());

  it("offers calculator, current_time and echo", () => {
    expect(registry.list().map((tool) => tool.name)).toEqual(["calculator", "current_time", "echo"]);
  });

  it("calculator evaluates safely and reports errors as tool errors", async () => {
    expect(await registry.execute(call("calculator", { expression: "6 * 7" }), { signal })).toEqual({
      ok: true,
      output: { expression: "6 * 7", result: 42 },
    });
    expect(await registry.execute(call("calculator", { expression: "1/0" }), { signal })).toEqual({
      ok: false,
      error: "division by zero",
    });
    expect(
      await registry.execute(call("calculator", { expression: "require('fs')" }), { signal }),
    ).toMatchObject({
      ok: false,
    });
  });

  it("current_time reports the clock in UTC and a given time zone", async () => {
    const fixed = new Date("2026-11-23T10:00:00.000Z");
    const tool = createCurrentTimeTool({ now: () => fixed });
    const clock = new ToolRegistry([tool]);
    const utc = await clock.execute(call("current_time", {}), { signal });
    expect(utc).toEqual({
      ok: true,
      output: {
        iso: "2026-11-23T10:00:00.000Z",
        timeZone: "UTC",
        local: expect.stringContaining("10:00:00"),
      },
    });
    const paris = await clock.execute(call("current_time", { timeZone: "Europe/Paris" }), { signal });
    expect(paris).toMatchObject({ ok: true, output: { local: expect.stringContaining("11:00:00") } });
    expect(await clock.execute(call("current_time", { timeZone: "Mars/Olympus" }), { signal })).toEqual({
      ok: false,
      error: 'unknown time zone "Mars/Olympus"',
    });
  });

  it("echo returns its text", async () => {
    expect(await registry.execute(call("echo", { text: "hi there" }), { signal })).toEqual({
      ok: true,
      output: { text: "hi there" },
    });
  });

  it("describe their arguments as JSON Schema without $schema", () => {
    const calculator = registry.definitions().find((definition) => definition.name === "calculator")!;
    expect(calculator.parameters).toMatchObject({
      type: "object",
      properties: { expression: { type: "string", minLength: 1, maxLength: 500 } },
      required: ["expression"],
    });
    expect(calculator.parameters).not.toHaveProperty("$schema");
  });
});
