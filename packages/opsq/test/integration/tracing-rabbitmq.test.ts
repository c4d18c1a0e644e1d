/**
 * Tracing across RabbitMQ: the trace context travels in the message body from a producer broker
 * to a worker's broker, through two retries (each via the delay queue) to the final ack.
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import type { Middleware } from "../../src/middleware/middleware.js";
import { Tracing } from "../../src/tracing/middleware.js";
import { RabbitTestBed, requireRabbitmq, testMiddleware, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("Tracing on RabbitmqBroker", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { worker: { shutdownTimeoutMs: 2_000 } },
  );

  it("puts the send, two failed attempts and the acked third in the trace the producer started", async () => {
    // Given a producer and a worker on two brokers, each with its own Tracing on one SDK provider
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const traced = (): Middleware[] => [
      new Tracing({ tracer: provider.getTracer("opsq") }),
      ...testMiddleware().filter((m) => !(m instanceof Tracing)),
    ];
    const queue = rabbit.admin.queue("tracing");
    const producer = rabbit.broker({ middleware: traced() });
    const consumer = rabbit.broker({ middleware: traced() });
    let attempts = 0;
    const handler = () => {
      attempts += 1;
      if (attempts <= 2) {
        throw new Error(`attempt ${attempts}`);
      }
    };
    const options = { queue, maxRetries: 3, minBackoffMs: 10, maxBackoffMs: 20 };
    const send = defineActor("traced", handler, { ...options, broker: producer });
    defineActor("traced", handler, { ...options, broker: consumer });
    await rabbit.startWorker(consumer);

    // When a message is sent and runs to its end
    const message = await send.send();
    await waitFor(
      () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER).length === 3,
      {
        message: "three process spans",
      },
    );

    // Then every span is in the producer's trace, the three attempts children of its send span
    const spans = exporter.getFinishedSpans();
    const [first] = spans.filter(
      (s) => s.kind === SpanKind.PRODUCER && s.attributes["opsq.message.retries"] === 0,
    );
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(
      new Set([first!.spanContext().traceId]),
    );
    const processes = spans
      .filter((s) => s.kind === SpanKind.CONSUMER)
      .sort(
        (a, b) => Number(a.attributes["opsq.message.retries"]) - Number(b.attributes["opsq.message.retries"]),
      );
    expect(processes.map((s) => s.parentSpanContext?.spanId)).toEqual(
      Array(3).fill(first!.spanContext().spanId),
    );
    expect(processes.map((s) => s.attributes["opsq.message.retries"])).toEqual([0, 1, 2]);
    expect(processes.map((s) => s.status.code)).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
    ]);
    expect(processes[2]).toMatchObject({
      name: `${queue} process`,
      attributes: expect.objectContaining({
        "messaging.system": "rabbitmq",
        "messaging.destination.name": queue,
        "messaging.message.id": message.messageId,
      }),
    });
    await provider.shutdown();
  });
});
