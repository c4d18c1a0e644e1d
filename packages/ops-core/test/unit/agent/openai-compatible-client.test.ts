import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenAiCompatibleClient } from "../../../src/agent/openai-compatible-client.js";
import { classifyError } from "../../../src/classify-error.js";
import { LlmRequestError } from "../../../src/errors.js";
import { type FakeLlm, startFakeLlm } from "../../helpers/fake-llm.js";

const API_KEY = "sk-unit-test-secret";
const user = (content: string) => [{ role: "user" as const, content }];
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe("OpenAiCompatibleClient against the fake server", () => {
  let fake: FakeLlm;
  const client = (maxRetries = 2) =>
    new OpenAiCompatibleClient({ baseUrl: fake.baseUrl, apiKey: API_KEY, model: "test-model", maxRetries });
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it("sends the model, messages and bearer key, and maps the reply", async () => {
    const reply = await client().chat(user("hello there"), { signal: AbortSignal.timeout(5000) });
    expect(reply).toEqual({
      content: "Fake answer to: hello there",
      toolCalls: [],
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      finishReason: "stop",
      model: "test-model",
    });
    const [request] = fake.chatRequests();
    expect(request).toMatchObject({
      model: "test-model",
      authorization: `Bearer ${API_KEY}`,
      messages: [{ role: "user", content: "hello there" }],
      tools: undefined,
      status: 200,
    });
  });

  it("sends tools and per-request model overrides, and maps tool calls", async () => {
    const tools = [{ name: "echo", description: "Echo.", parameters: { type: "object", properties: {} } }];
    const reply = await client().chat(user("[[tool:echo]] say hi"), {
      signal: AbortSignal.timeout(5000),
      tools,
      model: "other",
    });
    expect(reply.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_fake_/), name: "echo", arguments: '{"text":"say hi"}' },
    ]);
    expect(reply.finishReason).toBe("tool_calls");
    expect(fake.chatRequests()[0]).toMatchObject({
      model: "other",
      tools: [
        {
          type: "function",
          function: { name: "echo", description: "Echo.", parameters: { type: "object" } },
        },
      ],
    });
  });

  it("rides out two 500s with the SDK's retries (3 requests)", async () => {
    const reply = await client(2).chat(user("[[status:500x2]] flaky"), {
      signal: AbortSignal.timeout(10_000),
    });
    expect(reply.content).toBe("Fake answer to: flaky");
    expect(fake.chatRequests().map((request) => request.status)).toEqual([500, 500, 200]);
  });

  it("gives up after maxRetries with a transient error", async () => {
    const error = await failure(
      client(1).chat(user("[[status:503]] down"), { signal: AbortSignal.timeout(10_000) }),
    );
    expect(error).toBeInstanceOf(LlmRequestError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(classifyError(error)).toBe("transient");
    expect(fake.chatRequests()).toHaveLength(2);
  });

  it("fails a 401 at once, permanently, without leaking the key", async () => {
    const error = await failure(
      client(2).chat(user("[[status:401]] nope"), { signal: AbortSignal.timeout(5000) }),
    );
    expect(error).toBeInstanceOf(LlmRequestError);
    expect((error as Error).message).toBe(
      `LLM request to ${fake.baseUrl} (model "test-model") failed with HTTP 401: fake error 401`,
    );
    expect((error as Error).message).not.toContain(API_KEY);
    expect(classifyError(error)).toBe("permanent");
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it("cancels the in-flight HTTP request when the signal aborts", async () => {
    const started = Date.now();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("deadline passed")), 200);
    const error = await failure(client().chat(user("[[delay:30000]] slow"), { signal: controller.signal }));
    expect((error as Error).message).toBe("deadline passed");
    expect(Date.now() - started).toBeLessThan(5000);
    await fake.waitFor((requests) => requests[0]?.aborted === true);
    expect(fake.chatRequests()).toHaveLength(1);
    expect(fake.chatRequests()[0]!.status).toBeUndefined();
  });

  it("ends an attempt at requestTimeoutMs and reports a transient timeout", async () => {
    const slow = new OpenAiCompatibleClient({
      baseUrl: fake.baseUrl,
      model: "m",
      maxRetries: 0,
      requestTimeoutMs: 100,
    });
    const error = await failure(
      slow.chat(user("[[delay:3000]] slow"), { signal: AbortSignal.timeout(5000) }),
    );
    expect(error).toMatchObject({ kind: "timeout", retryable: true });
    expect((error as Error).message).toBe(`LLM request to ${fake.baseUrl} (model "m") timed out`);
    await fake.waitFor((requests) => requests[0]?.aborted === true);
  });

  it("reports an unreachable endpoint as a transient connection error", async () => {
    const closed = await startFakeLlm();
    await closed.close();
    const offline = new OpenAiCompatibleClient({ baseUrl: closed.baseUrl, model: "m", maxRetries: 0 });
    const error = await failure(offline.chat(user("hi"), { signal: AbortSignal.timeout(5000) }));
    expect(error).toMatchObject({ kind: "connection", retryable: true });
    expect(classifyError(error)).toBe("transient");
  });

  it("exposes its model and a redacted endpoint without contacting the server", async () => {
    const fresh = new OpenAiCompatibleClient({ baseUrl: "http://127.0.0.1:9/v1", model: "m" });
    expect(fresh.model).toBe("m");
    expect(fresh.endpoint).toBe("http://127.0.0.1:9/v1");
    expect(new OpenAiCompatibleClient({ baseUrl: "https://u:pw@host/v1", model: "m" }).endpoint).toBe(
      "https://u:***@host/v1",
    );
  });
});
