import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { OpenAiCompatibleClient } from "../../../src/agent/openai-compatible-client.js";
import { runAgent } from "../../../src/agent/run-agent.js";
import { AllowListSecurityManager } from "../../../src/agent/security.js";
import { ShortTermMemory } from "../../../src/agent/short-term-memory.js";
import { builtinTools, echoTool } from "../../../src/agent/tools/index.js";
import { type FakeLlm, startFakeLlm } from "../../helpers/fake-llm.js";

const timeout = () => AbortSignal.timeout(10_000);

describe("runAgent with the offline model", () => {
  it("calls a tool and answers with its result", async () => {
    const run = await runAgent({
      goal: "What is (2 + 3) * 4?",
      llm: new OfflineLlmClient(),
      tools: builtinTools(),
      signal: timeout(),
    });
    expect(run).toMatchObject({ outcome: "answered", steps: 2, model: "opsq-offline-demo" });
    expect(run.answer).toContain('"result":20');
    expect(run.toolCalls).toEqual([
      {
        step: 1,
        id: "offline_call_1",
        name: "calculator",
        arguments: { expression: "(2 + 3) * 4" },
        ok: true,
        output: { expression: "(2 + 3) * 4", result: 20 },
      },
    ]);
    expect(run.messages.map((message) => message.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
      "assistant",
    ]);
    expect(run.usage.totalTokens).toBeGreaterThan(0);
  });

  it("answers in one step when no tool is available", async () => {
    const run = await runAgent({ goal: "What is 2 + 2?", llm: new OfflineLlmClient(), signal: timeout() });
    expect(run).toMatchObject({ outcome: "answered", steps: 1, toolCalls: [] });
  });

  it("feeds a security denial back to the model instead of crashing", async () => {
    const run = await runAgent({
      goal: "What is 6 * 7?",
      llm: new OfflineLlmClient(),
      tools: builtinTools(),
      security: new AllowListSecurityManager(["echo"]),
      signal: timeout(),
    });
    expect(run.outcome).toBe("answered");
    expect(run.toolCalls[0]).toMatchObject({
      name: "calculator",
      ok: false,
      error: 'permission denied: tool "calculator" is not on the allow-list',
    });
    expect(run.messages[3]).toEqual({
      role: "tool",
      toolCallId: "offline_call_1",
      name: "calculator",
      content: JSON.stringify({ error: 'permission denied: tool "calculator" is not on the allow-list' }),
    });
  });

  it("records the conversation in a caller-supplied memory and stops on abort", async () => {
    const memory = new ShortTermMemory();
    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    await expect(
      runAgent({ goal: "hi", llm: new OfflineLlmClient(), memory, signal: controller.signal }),
    ).rejects.toThrow("cancelled");
    expect(memory.messages().map((message) => message.role)).toEqual(["system", "user"]);
  });

  it("rejects a step limit below 1", async () => {
    await expect(
      runAgent({ goal: "x", llm: new OfflineLlmClient(), maxSteps: 0, signal: timeout() }),
    ).rejects.toThrow("maxSteps must be a whole number of at least 1 (got 0)");
  });
});

describe("runAgent with OpenAiCompatibleClient and the fake server", () => {
  let fake: FakeLlm;
  let llm: OpenAiCompatibleClient;
  beforeAll(async () => {
    fake = await startFakeLlm();
    llm = new OpenAiCompatibleClient({
      baseUrl: fake.baseUrl,
      apiKey: "k",
      model: "fake-model",
      maxRetries: 0,
    });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it("round-trips a tool call: the second request carries the tool result", async () => {
    const run = await runAgent({ goal: "[[tool:echo]] ping", llm, tools: [echoTool], signal: timeout() });
    expect(run).toMatchObject({
      outcome: "answered",
      steps: 2,
      answer: 'Tool echo returned: {"text":"ping"}',
    });
    const [first, second] = fake.chatRequests();
    expect(first!.tools?.map((tool) => tool.function.name)).toEqual(["echo"]);
    const callId = run.toolCalls[0]!.id;
    expect(second!.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: callId, type: "function", function: { name: "echo", arguments: '{"text":"ping"}' } },
        ],
      },
      { role: "tool", tool_call_id: callId, content: '{"text":"ping"}' },
    ]);
  });

  it("sends a denied tool call back as an error the model can read", async () => {
    const run = await runAgent({
      goal: "[[tool:echo]] secret",
      llm,
      tools: [echoTool],
      security: new AllowListSecurityManager([]),
      signal: timeout(),
    });
    expect(run.outcome).toBe("answered");
    expect(run.answer).toBe(
      'Tool echo returned: {"error":"permission denied: tool \\"echo\\" is not on the allow-list"}',
    );
    expect(fake.chatRequests()).toHaveLength(2);
  });

  it("reports unknown tools and bad arguments to the model and carries on", async () => {
    fake.enqueue(
      {
        toolCalls: [
          { name: "nope", arguments: {} },
          { name: "echo", arguments: "{oops" },
        ],
      },
      { content: "done anyway" },
    );
    const run = await runAgent({ goal: "go", llm, tools: [echoTool], signal: timeout() });
    expect(run.answer).toBe("done anyway");
    expect(run.toolCalls.map((call) => call.error)).toEqual([
      'unknown tool "nope"',
      "arguments are not valid JSON",
    ]);
    expect(run.toolCalls[1]!.arguments).toBe("{oops");
  });

  it("stops at the step limit when the model keeps calling tools", async () => {
    for (let i = 0; i < 5; i++) fake.enqueue({ toolCalls: [{ name: "echo", arguments: { text: `${i}` } }] });
    const run = await runAgent({ goal: "loop", llm, tools: [echoTool], maxSteps: 3, signal: timeout() });
    expect(run).toMatchObject({ outcome: "step_limit", answer: null, steps: 3 });
    expect(run.toolCalls).toHaveLength(3);
    expect(fake.chatRequests()).toHaveLength(3);
  });
});
