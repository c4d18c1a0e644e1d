import { describe, expect, it } from "vitest";
import type { ChatMessage, ToolDefinition } from "../../../src/agent/llm-client.js";
import { OFFLINE_MODEL, OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { ToolRegistry } from "../../../src/agent/tool-registry.js";
import { builtinTools } from "../../../src/agent/tools/index.js";

const llm = new OfflineLlmClient();
const signal = new AbortController().signal;
const tools: ToolDefinition[] = new ToolRegistry(builtinTools()).definitions();
const ask = (goal: string, offered: ToolDefinition[] = tools) =>
  llm.chat([{ role: "user", content: goal }], { signal, tools: offered });

describe("OfflineLlmClient", () => {
  it("is labelled as the offline demo model", async () => {
    const reply = await ask("hello");
    expect(llm.model).toBe(OFFLINE_MODEL);
    expect(reply.model).toBe(OFFLINE_MODEL);
    expect(reply.content).toContain(`[${OFFLINE_MODEL}]`);
  });

  it.each([
    ["What is (2 + 3) * 4?", "calculator", { expression: "(2 + 3) * 4" }],
    ["Please compute 6*7.", "calculator", { expression: "6*7" }],
    ["What time is it now?", "current_time", {}],
    ['Echo "ping back"', "echo", { text: "ping back" }],
    ["repeat after me", "echo", { text: "repeat after me" }],
  ])("asks for a tool when one fits: %s", async (goal, name, args) => {
    const reply = await ask(goal);
    expect(reply.finishReason).toBe("tool_calls");
    expect(reply.content).toBeNull();
    expect(reply.toolCalls).toEqual([{ id: "offline_call_1", name, arguments: JSON.stringify(args) }]);
  });

  it("answers directly when no offered tool fits", async () => {
    const noTools = await ask("What is 2 + 2?", []);
    expect(noTools.toolCalls).toEqual([]);
    expect(noTools.content).toContain('Goal received: "What is 2 + 2?"');
    expect((await ask("Summarise the weekly report")).toolCalls).toEqual([]);
  });

  it("quotes the tool results in its final answer", async () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "What is 6*7?" },
      { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "calculator", arguments: "{}" }] },
      { role: "tool", toolCallId: "c1", name: "calculator", content: '{"expression":"6*7","result":42}' },
    ];
    const reply = await llm.chat(messages, { signal, tools });
    expect(reply).toMatchObject({
      toolCalls: [],
      finishReason: "stop",
      content: `[${OFFLINE_MODEL}] calculator returned {"expression":"6*7","result":42}.`,
    });
  });

  it("is deterministic", async () => {
    expect(await ask("What is 1 + 1?")).toEqual(await ask("What is 1 + 1?"));
  });

  it("honours an aborted signal", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(llm.chat([{ role: "user", content: "x" }], { signal: controller.signal })).rejects.toThrow(
      "stop",
    );
  });
});
