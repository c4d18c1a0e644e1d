import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { Retries } from "../../../src/middleware/retries.js";
import { messageTraceContext, Tracing } from "../../../src/tracing/middleware.js";
import { readSpanContext, TRACE_CONTEXT_OPTION } from "../../../src/tracing/trace-context.js";
import { quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function tracedBroker() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const broker = new StubBroker({
    middleware: [
      new Tracing({ tracer: provider.getTracer("opsq") }),
      new Retries({ minBackoffMs: 1, maxBackoffMs: 2 }),
    ],
    logger: quietLogger(),
  });
  return { broker, exporter };
}

const hrMs = ([s, ns]: [number, number]) => s * 1e3 + ns / 1e6;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("Tracing", () => {
  it("puts send, two failed attempts, their retries and the final ack in one trace", async () => {
    // Given an actor that fails twice, then succeeds
    const { broker, exporter } = tracedBroker();
    let attempts = 0;
    const actor = defineActor(
      "flaky",
      () => {
        attempts += 1;
        if (attempts <= 2) {
          throw new Error(`attempt ${attempts} failed`);
        }
        return "ok";
      },
      { broker, maxRetries: 3 },
    );
    await pool.start(broker);

    // When it is sent and the queue drains
    const message = await actor.send();
    await broker.join("default");

    // Then the message carries the send span's context
    // (in start order: an attempt's span ends at its ack, which may come after its retry ran)
    const spans = [...exporter.getFinishedSpans()].sort((a, b) => hrMs(a.startTime) - hrMs(b.startTime));
    const sends = spans.filter((s) => s.kind === SpanKind.PRODUCER);
    const processes = spans.filter((s) => s.kind === SpanKind.CONSUMER);
    // (each retry is sent twice: to the delay queue, then by the worker to the queue when due)
    expect(sends.map((s) => s.name)).toEqual(Array(5).fill("default send"));
    expect(processes.map((s) => s.name)).toEqual(["default process", "default process", "default process"]);
    const [first] = sends;
    expect(readSpanContext(message.options)?.spanId).toBe(first!.spanContext().spanId);
    // and every span is in the first send's trace, the attempts and retries children of it
    const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
    expect(traceIds).toEqual(new Set([first!.spanContext().traceId]));
    expect(parentOf(first!)).toBeUndefined();
    for (const span of [...sends.slice(1), ...processes]) {
      expect(parentOf(span)).toBe(first!.spanContext().spanId);
    }
    // and each attempt says its retry count; the two failures are errors, with their exception
    expect(processes.map((s) => s.attributes["opsq.message.retries"])).toEqual([0, 1, 2]);
    expect(processes.map((s) => s.status.code)).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
    ]);
    expect(processes[0]!.events.map((e) => e.name)).toEqual(["exception"]);
    expect(processes[2]!.attributes).toMatchObject({
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "process",
      "messaging.destination.name": "default",
      "messaging.message.id": message.messageId,
    });
    expect(sends.map((s) => s.attributes["opsq.message.retries"])).toEqual([0, 1, 1, 2, 2]);
  });

  it("ends a dead-lettered message's span with status ERROR", async () => {
    const { broker, exporter } = tracedBroker();
    const actor = defineActor(
      "doomed",
      () => {
        throw new Error("no");
      },
      { broker, maxRetries: 0 },
    );
    await pool.start(broker);
    await actor.send();
    await broker.join("default");
    const [process] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
    expect(process!.attributes["opsq.message.dead_lettered"]).toBe(true);
    expect(process!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("makes a message sent from an actor a child of that actor's process span", async () => {
    const { broker, exporter } = tracedBroker();
    const child = defineActor("child", () => "done", { broker });
    const parent = defineActor(
      "parent",
      async () => {
        expect(messageTraceContext()).toBeDefined();
        await child.send();
      },
      { broker },
    );
    await pool.start(broker);
    await parent.send();
    await broker.join("default");
    const spans = exporter.getFinishedSpans();
    const parentProcess = spans.find(
      (s) => s.name === "default process" && s.attributes["opsq.actor.name"] === "parent",
    );
    const childSend = spans.find(
      (s) => s.kind === SpanKind.PRODUCER && s.attributes["opsq.actor.name"] === "child",
    );
    expect(parentOf(childSend!)).toBe(parentProcess!.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it("writes no option and records nothing with the API's no-op tracer (no SDK installed)", async () => {
    const broker = new StubBroker({ middleware: [new Tracing()], logger: quietLogger() });
    expect(trace.getTracer("opsq").startSpan("x").isRecording()).toBe(false);
    const actor = defineActor("plain", () => 1, { broker });
    const message = await actor.send();
    expect(message.options[TRACE_CONTEXT_OPTION]).toBeUndefined();
  });

  it("ignores a malformed trace context", () => {
    expect(readSpanContext({ trace_context: { traceparent: "00-zz-11-01" } })).toBeUndefined();
    expect(readSpanContext({ trace_context: "x" })).toBeUndefined();
    expect(
      readSpanContext({
        trace_context: {
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          tracestate: "a=1",
        },
      }),
    ).toMatchObject({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
    });
  });
});
