import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ActorTestBed } from "../../helpers/actor-harness.js";

describe("execute_agent_task tracing", () => {
  const bed = ActorTestBed.use({ beforeAll, afterAll, beforeEach, afterEach });
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    // The global provider: what the default Tracing middleware and ops-core's spans use.
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
  });

  it("puts submitTask's send, the task, its two LLM calls and its tool call in one trace", async () => {
    // Given a task that calls the echo tool, then answers
    const h = await bed.start();
    const { task } = await h.submit("[[tool:echo]] ping");
    await h.join();
    expect((await bed.embedded.store.getTask(task.taskId)).status).toBe("completed");

    // Then one trace: send → process → invoke_agent → chat, execute_tool, chat
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const [send] = spans.filter((s) => s.kind === SpanKind.PRODUCER);
    const [process] = spans.filter((s) => s.kind === SpanKind.CONSUMER);
    const [agent] = byName("invoke_agent ops-core");
    const chats = byName("chat fake-model");
    const [tool] = byName("execute_tool echo");
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(send!.attributes["messaging.message.id"]).toBe(task.taskId);
    expect(process!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
    expect(agent!.parentSpanContext?.spanId).toBe(process!.spanContext().spanId);
    expect(agent!.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "ops_core.task.id": task.taskId,
    });
    expect(chats).toHaveLength(2);
    for (const span of [...chats, tool!]) {
      expect(span.parentSpanContext?.spanId).toBe(agent!.spanContext().spanId);
    }
    expect(chats[0]!.kind).toBe(SpanKind.CLIENT);
    expect(chats[0]!.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "fake-model",
      "gen_ai.response.model": "fake-model",
    });
    expect(tool!.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "echo",
    });
    expect(tool!.status.code).toBe(SpanStatusCode.UNSET);
  });
});
