import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { type ExecuteAgentTaskDeps, executeAgentTask } from "../../../src/actors/execute-agent-task.js";
import type { LlmClient } from "../../../src/agent/llm-client.js";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { OpenAiCompatibleClient } from "../../../src/agent/openai-compatible-client.js";
import { AllowAllSecurityManager, AllowListSecurityManager } from "../../../src/agent/security.js";
import { defineTool } from "../../../src/agent/tool.js";
import { builtinTools, echoTool } from "../../../src/agent/tools/index.js";
import { AgentTaskFailedError, LlmRequestError } from "../../../src/errors.js";
import { FinalWriteRetries } from "../../../src/services/final-write-retries.js";
import type { JsonObject } from "../../../src/task.js";
import type { TaskStore } from "../../../src/task-store-interface.js";
import { createEmbeddedStore, type EmbeddedStore } from "../../helpers/embedded-store.js";
import { type FakeLlm, startFakeLlm } from "../../helpers/fake-llm.js";
import { createRecordingLogger, type RecordingLogger } from "../../helpers/recording-logger.js";

const API_KEY = "sk-run-task-secret";

/**
 * What `executeAgentTask` does with one message, called directly with its dependencies: claim →
 * run the agent → complete, or throw (a permanent failure as AgentTaskFailedError, carrying the
 * result; a transient one as it is). The final `failed` is written by the task lifecycle, so a
 * failure leaves the task `running` here.
 */
describe("executeAgentTask", () => {
  let embedded: EmbeddedStore;
  let fake: FakeLlm;
  let logger: RecordingLogger;

  beforeAll(async () => {
    [embedded, fake] = await Promise.all([createEmbeddedStore(), startFakeLlm()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([embedded?.close(), fake?.close()]);
  });
  beforeEach(async () => {
    await embedded.reset();
    logger = createRecordingLogger();
  });
  afterEach(() => fake.reset());

  const heartbeats: string[] = [];
  /** The embedded store with heartbeats recorded and some methods replaced. */
  const storeWith = (overrides: Partial<TaskStore> = {}): TaskStore => {
    heartbeats.length = 0;
    const store = embedded.store;
    return Object.assign(Object.create(store) as TaskStore, {
      heartbeat: async (taskId: string, workerId: string) => {
        heartbeats.push(taskId);
        return store.heartbeat(taskId, workerId);
      },
      ...overrides,
    });
  };

  const fakeClient = (maxRetries = 2) =>
    new OpenAiCompatibleClient({ baseUrl: fake.baseUrl, apiKey: API_KEY, model: "fake-model", maxRetries });
  const deps = (overrides: Partial<ExecuteAgentTaskDeps> = {}): ExecuteAgentTaskDeps => ({
    store: embedded.store,
    llm: new OfflineLlmClient(),
    tools: builtinTools(),
    security: new AllowAllSecurityManager(),
    timeoutMs: 10_000,
    logger,
    workerId: "worker-1",
    ...overrides,
  });
  const addTask = async (inputData: JsonObject) =>
    (await embedded.store.addTask({ taskType: "agent_task", inputData })).taskId;
  /** The AgentTaskFailedError the run throws (it must throw one). */
  const failureOf = async (run: Promise<unknown>): Promise<AgentTaskFailedError> => {
    const error = await run.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(AgentTaskFailedError);
    return error as AgentTaskFailedError;
  };

  it("logs and returns when the task does not exist", async () => {
    expect(await executeAgentTask("task_missing", deps())).toEqual({ kind: "missing" });
    expect(logger.lines).toEqual([
      {
        level: "warn",
        details: { taskId: "task_missing", workerId: "worker-1" },
        message: "task not found; nothing to run",
      },
    ]);
  });

  it("leaves a finished task alone without calling the model", async () => {
    const taskId = await addTask({ goal: "[[tool:echo]] hi" });
    await embedded.store.claimTask(taskId, "w0");
    const done = await embedded.store.completeTask(taskId, { status: "completed", result: "first" });
    expect(await executeAgentTask(taskId, deps({ llm: fakeClient() }))).toEqual({
      kind: "skipped",
      taskStatus: "completed",
    });
    expect(fake.chatRequests()).toHaveLength(0);
    expect(await embedded.store.getTask(taskId)).toEqual(done);
  });

  it("acks a fresh duplicate of a running task's message without running it again", async () => {
    // Given a task another delivery is running
    const taskId = await addTask({ goal: "[[tool:echo]] hi" });
    const running = await embedded.store.claimTask(taskId, "w0");

    // When a fresh message for it arrives (not a redelivery, not a retry), Then it is skipped
    expect(await executeAgentTask(taskId, deps({ llm: fakeClient(), takeOver: false }))).toEqual({
      kind: "skipped",
      taskStatus: "running",
    });
    expect(fake.chatRequests()).toHaveLength(0);
    expect(await embedded.store.getTask(taskId)).toEqual(running);
    expect(logger.lines.at(-1)?.message).toBe(
      "task already running under another delivery; this duplicate message is acked",
    );

    // And a redelivery (takeOver) does take it over
    expect(await executeAgentTask(taskId, deps({ takeOver: true }))).toMatchObject({ kind: "completed" });
    expect(await embedded.store.getTask(taskId)).toMatchObject({ status: "completed", attempts: 2 });
  });

  it("runs the offline agent with a tool and stores result and status together", async () => {
    const taskId = await addTask({ goal: "What is 6 * 7?" });
    const outcome = await executeAgentTask(taskId, deps());
    expect(outcome.kind).toBe("completed");
    const task = await embedded.store.getTask(taskId);
    expect(task).toMatchObject({
      status: "completed",
      attempts: 1,
      workerId: "worker-1",
      errorMessage: null,
    });
    expect(task.completedAt! >= task.startedAt!).toBe(true);
    expect(task.result).toMatchObject({
      outcome: "answered",
      steps: 2,
      model: "opsq-offline-demo",
      answer: expect.stringContaining('"result":42'),
      toolCalls: [{ name: "calculator", ok: true, output: { expression: "6 * 7", result: 42 } }],
    });
    expect((task.result as { history: unknown[] }).history).toHaveLength(5);
  });

  it("accepts `prompt` as the goal and the task's model override", async () => {
    const taskId = await addTask({ prompt: "say hello", model: "override-model" });
    await executeAgentTask(taskId, deps({ llm: fakeClient() }));
    expect(fake.chatRequests()[0]).toMatchObject({
      model: "override-model",
      messages: [{ role: "system" }, { role: "user", content: "say hello" }],
    });
    expect((await embedded.store.getTask(taskId)).result).toMatchObject({
      answer: "Fake answer to: say hello",
    });
  });

  it("completes a tool round-trip through the real HTTP client", async () => {
    const taskId = await addTask({ goal: "[[tool:echo]] ping" });
    const outcome = await executeAgentTask(taskId, deps({ llm: fakeClient(), tools: [echoTool] }));
    expect(outcome).toMatchObject({ kind: "completed", task: { status: "completed" } });
    expect((await embedded.store.getTask(taskId)).result).toMatchObject({
      answer: 'Tool echo returned: {"text":"ping"}',
    });
    expect(fake.chatRequests()).toHaveLength(2);
    expect(fake.chatRequests()[0]!.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("fails on the deadline, aborts the HTTP request, and keeps the history", async () => {
    const taskId = await addTask({ goal: "[[delay:30000]] slow" });
    const started = Date.now();
    const failure = await failureOf(executeAgentTask(taskId, deps({ llm: fakeClient(), timeoutMs: 300 })));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failure).toMatchObject({ taskId, message: "Agent execution timed out after 0.3 s." });
    await fake.waitFor((requests) => requests[0]?.aborted === true);
    // The lifecycle writes `failed` when the message is dead-lettered: the task is still running here.
    expect(await embedded.store.getTask(taskId)).toMatchObject({ status: "running", errorMessage: null });
    expect(failure.result).toMatchObject({
      error: "Agent execution timed out after 0.3 s.",
      history: [{ role: "system" }, { role: "user", content: "[[delay:30000]] slow" }],
    });
  });

  it("fails on the deadline even when a tool ignores the signal", async () => {
    const stuck = defineTool({
      name: "echo",
      description: "Never returns.",
      input: z.object({ text: z.string() }),
      execute: () => new Promise<never>(() => {}),
    });
    const taskId = await addTask({ goal: "echo this" });
    const failure = await failureOf(executeAgentTask(taskId, deps({ tools: [stuck], timeoutMs: 200 })));
    expect(failure.message).toBe("Agent execution timed out after 0.2 s.");
  });

  it("fails permanently on HTTP 401 after one request, without the key in the reason", async () => {
    const taskId = await addTask({ goal: "[[status:401]] hi" });
    const failure = await failureOf(executeAgentTask(taskId, deps({ llm: fakeClient(2) })));
    expect(failure.message).toBe(
      `LLM request to ${fake.baseUrl} (model "fake-model") failed with HTTP 401: fake error 401`,
    );
    expect(JSON.stringify(failure.result)).not.toContain(API_KEY);
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it("completes after two 500s absorbed by the SDK's retries", async () => {
    const taskId = await addTask({ goal: "[[status:500x2]] flaky" });
    expect((await executeAgentTask(taskId, deps({ llm: fakeClient(2) }))).kind).toBe("completed");
    expect(fake.chatRequests().map((request) => request.status)).toEqual([500, 500, 200]);
  });

  it("rethrows a transient failure, leaving the task running for the redelivery to claim", async () => {
    // Given an LLM that fails twice and a client without retries of its own,
    const taskId = await addTask({ goal: "[[status:502x2]] wobbly" });
    const attempt = () => executeAgentTask(taskId, deps({ llm: fakeClient(0) }));
    // When the queue delivers the message three times, Then the first two attempts throw,
    await expect(attempt()).rejects.toBeInstanceOf(LlmRequestError);
    expect(await embedded.store.getTask(taskId)).toMatchObject({ status: "running", attempts: 1 });
    await expect(attempt()).rejects.toMatchObject({ status: 502 });
    // and the third completes the same task.
    expect((await attempt()).kind).toBe("completed");
    expect(await embedded.store.getTask(taskId)).toMatchObject({ status: "completed", attempts: 3 });
    expect(logger.lines.filter((line) => line.message.includes("interrupted"))).toHaveLength(2);
  });

  it("rethrows when the caller's signal aborts (e.g. worker shutdown)", async () => {
    const taskId = await addTask({ goal: "[[delay:30000]] long" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("worker shutting down")), 100);
    await expect(
      executeAgentTask(taskId, deps({ llm: fakeClient(), signal: controller.signal })),
    ).rejects.toThrow("worker shutting down");
    expect((await embedded.store.getTask(taskId)).status).toBe("running");
  });

  it("fails a task whose input has no goal, without calling the model", async () => {
    const taskId = await addTask({ question: "where is the goal?" });
    const failure = await failureOf(executeAgentTask(taskId, deps({ llm: fakeClient() })));
    expect(failure.message).toBe("input_data.goal: a non-empty goal (or prompt) string is required");
    expect(fake.chatRequests()).toHaveLength(0);
  });

  it("fails when the agent hits its step limit", async () => {
    for (let i = 0; i < 3; i++) fake.enqueue({ toolCalls: [{ name: "echo", arguments: { text: "again" } }] });
    const taskId = await addTask({ goal: "loop forever", maxSteps: 2 });
    const failure = await failureOf(executeAgentTask(taskId, deps({ llm: fakeClient(), tools: [echoTool] })));
    expect(failure.message).toBe("Agent stopped after 2 steps without a final answer.");
    expect(failure.result).toMatchObject({ outcome: "step_limit", steps: 2 });
  });

  it("fails on a tool error (recorded in the result), unless told not to", async () => {
    const failing = await addTask({ goal: "What is 1 / 0?" });
    const failure = await failureOf(executeAgentTask(failing, deps()));
    expect(failure.message).toBe('Tool "calculator" failed: division by zero');
    expect(failure.result).toMatchObject({
      toolCalls: [{ name: "calculator", ok: false, error: "division by zero" }],
    });
    const tolerant = await addTask({ goal: "What is 1 / 0?" });
    expect((await executeAgentTask(tolerant, deps({ failOnToolError: false }))).kind).toBe("completed");
  });

  it("fails with the reason when the security manager denies a tool", async () => {
    const taskId = await addTask({ goal: "What is 2 + 2?" });
    const failure = await failureOf(
      executeAgentTask(taskId, deps({ security: new AllowListSecurityManager([]) })),
    );
    expect(failure.message).toBe(
      'Tool "calculator" failed: permission denied: tool "calculator" is not on the allow-list',
    );
  });

  it("refreshes the task's heartbeat while the agent runs, and stops when it is done", async () => {
    // (a run of 30 beat intervals; 2 beats are asked for, so a loaded machine cannot fail it)
    const taskId = await addTask({ goal: "[[delay:1500]] slow" });
    const claimed: string[] = [];
    const store = storeWith({
      claimTask: async (...args: Parameters<typeof embedded.store.claimTask>) => {
        const task = await embedded.store.claimTask(...args);
        if (task) claimed.push(task.heartbeatAt!);
        return task;
      },
    });
    const outcome = await executeAgentTask(taskId, deps({ store, llm: fakeClient(), heartbeatMs: 50 }));
    expect(outcome.kind).toBe("completed");
    const beats = heartbeats.length;
    expect(beats).toBeGreaterThanOrEqual(2);
    // The beats moved heartbeat_at past the claim's.
    const { heartbeatAt } = await embedded.store.getTask(taskId);
    expect(Date.parse(heartbeatAt!)).toBeGreaterThan(Date.parse(claimed[0]!));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heartbeats.length).toBe(beats);
    expect(claimed).toHaveLength(1);
  });

  it("retries a final write that met a database outage in the background, and acks", async () => {
    const taskId = await addTask({ goal: "say hi" });
    let failures = 2;
    const store = storeWith({
      completeTask: async (...args: Parameters<typeof embedded.store.completeTask>) => {
        if (failures-- > 0)
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        return embedded.store.completeTask(...args);
      },
    });
    const finalWrites = new FinalWriteRetries({ initialDelayMs: 20, maxDelayMs: 50, budgetMs: 5_000 });
    const outcome = await executeAgentTask(taskId, deps({ store, finalWrites }));
    expect(outcome).toEqual({ kind: "deferred" });
    expect((await embedded.store.getTask(taskId)).status).toBe("running");
    expect(logger.lines.at(-1)?.message).toBe(
      "could not write the task's final status; retrying in the background",
    );
    await vi.waitFor(async () => expect((await embedded.store.getTask(taskId)).status).toBe("completed"), {
      timeout: 5_000,
    });
    expect(finalWrites.pending).toBe(0);
    expect(logger.lines.at(-1)).toMatchObject({
      level: "info",
      message: "task's final status written after the database came back",
    });
  });

  it("drops no outcome and writes none twice: a late write loses to a task reclaimed meanwhile", async () => {
    const taskId = await addTask({ goal: "say hi" });
    let down = true;
    const store = storeWith({
      completeTask: async (...args: Parameters<typeof embedded.store.completeTask>) => {
        if (down) throw Object.assign(new Error("connection lost"), { code: "ECONNRESET" });
        return embedded.store.completeTask(...args);
      },
    });
    const finalWrites = new FinalWriteRetries({ initialDelayMs: 20, maxDelayMs: 20, budgetMs: 5_000 });
    expect((await executeAgentTask(taskId, deps({ store, finalWrites }))).kind).toBe("deferred");
    await embedded.store.cancelTask(taskId, "cancelled meanwhile");
    down = false;
    await vi.waitFor(() => expect(finalWrites.pending).toBe(0), { timeout: 5_000 });
    expect(await embedded.store.getTask(taskId)).toMatchObject({ status: "cancelled" });
    expect(logger.lines.at(-1)?.message).toBe(
      "task was finished or reclaimed meanwhile; final status dropped",
    );
  });

  it("drops the result when the task was cancelled while the agent ran", async () => {
    const taskId = await addTask({ goal: "anything" });
    const offline = new OfflineLlmClient();
    const cancelling: LlmClient = {
      model: offline.model,
      chat: async (messages, options) => {
        await embedded.store.cancelTask(taskId, "cancelled by user");
        return offline.chat(messages, options);
      },
    };
    expect(await executeAgentTask(taskId, deps({ llm: cancelling }))).toEqual({ kind: "superseded" });
    expect(await embedded.store.getTask(taskId)).toMatchObject({
      status: "cancelled",
      errorMessage: "cancelled by user",
      result: null,
    });
  });
});
