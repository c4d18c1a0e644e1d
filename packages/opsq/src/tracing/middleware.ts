/**
 * Tracing: OpenTelemetry spans for sending and processing messages, with the W3C trace context
 * carried in the message, after OpenTelemetry's messaging semantic conventions. Only
 * `@opentelemetry/api` is used: without an SDK installed by the application its tracer is the
 * no-op one, no span is recorded and no option is written.
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { Broker } from "../broker.js";
import { currentContext } from "../context.js";
import type { Message } from "../message.js";
import type { ActorContext, MessageProxy } from "../message-proxy.js";
import type { Middleware, Outcome } from "../middleware/middleware.js";
import { qName } from "../queue-names.js";
import { extractContext, TRACE_CONTEXT_OPTION, toCarrier } from "./trace-context.js";

/** Name of the tracer opsq asks the global tracer provider for. */
export const TRACER_NAME = "opsq";

/** Options of {@link Tracing}. */
export interface TracingOptions {
  /** The tracer to use. @default trace.getTracer("opsq"): the globally registered provider's */
  tracer?: Tracer;
}

/**
 * Spans `<queue> send` (kind PRODUCER) around each enqueue and `<queue> process` (kind CONSUMER)
 * from the start of processing to the ack or nack.
 *
 * - A new message gets the send span's context in its `trace_context` option; its process spans
 *   are children of that send span.
 * - A message that already carries a context (a retry by `Retries`, a re-published message)
 *   keeps it: every attempt's process span, and the retry's own send span, join the original
 *   trace as children of the original send span, with `opsq.message.retries` telling them apart.
 * - A message sent from inside an actor is a child of that actor's process span (or of the
 *   application's active span, when it started one).
 * - An attempt's error is recorded on its process span (status ERROR); a dead-lettered message's
 *   process span ends with status ERROR.
 */
export class Tracing implements Middleware {
  readonly name = "Tracing";
  readonly #tracer: Tracer;
  readonly #sending = new WeakMap<Message, Span>();
  readonly #processing = new Map<ActorContext, Span>();

  /** @param options the tracer (by default the global provider's, registered before or after this middleware is built) */
  constructor(options: TracingOptions = {}) {
    // The API's tracer is a proxy: it follows a provider registered later.
    this.#tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
  }

  /** The tracer spans are started with. */
  get tracer(): Tracer {
    return this.#tracer;
  }

  beforeEnqueue(_broker: Broker, message: Message, delayMs: number): void {
    const carried = message.options[TRACE_CONTEXT_OPTION] !== undefined;
    const parent = carried ? extractContext(message.options) : parentOfSend();
    const span = this.#tracer.startSpan(
      `${qName(message.queueName)} send`,
      { kind: SpanKind.PRODUCER },
      parent,
    );
    if (!carried) {
      // Valid also for a span sampled out: the consumer then knows the trace was not sampled.
      const carrier = toCarrier(span.spanContext());
      if (carrier !== undefined) {
        // The broker encodes the message after this hook: the option travels with it.
        message.options[TRACE_CONTEXT_OPTION] = carrier;
      }
    }
    // Attributes only on a recording span: the no-op tracer's (no SDK) costs no allocation.
    if (span.isRecording()) {
      span.setAttributes(attributesOf(message, "send"));
      span.setAttribute("opsq.delay_ms", delayMs);
      this.#sending.set(message, span);
    }
  }

  afterEnqueue(_broker: Broker, message: Message): void {
    const span = this.#sending.get(message);
    if (span !== undefined) {
      this.#sending.delete(message);
      span.end();
    }
  }

  beforeProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    const message = proxy.message;
    const span = this.#tracer.startSpan(
      `${qName(message.queueName)} process`,
      { kind: SpanKind.CONSUMER },
      extractContext(message.options),
    );
    if (!span.isRecording()) {
      return;
    }
    span.setAttributes(attributesOf(message, "process"));
    if (proxy.redelivered) {
      span.setAttribute("opsq.message.redelivered", true);
    }
    this.#processing.set(proxy, span);
    processSpans.set(proxy, span);
  }

  afterProcessMessage(_broker: Broker, proxy: MessageProxy, outcome: Outcome): void {
    const span = this.#processing.get(proxy);
    if (span !== undefined && outcome.error !== undefined) {
      span.recordException(outcome.error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
    }
  }

  afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    this.#processing.get(proxy)?.setAttribute("opsq.message.skipped", true);
  }

  afterAck(_broker: Broker, proxy: MessageProxy): void {
    this.#end(proxy, false);
  }

  afterNack(_broker: Broker, proxy: MessageProxy): void {
    this.#end(proxy, true);
  }

  afterWorkerShutdown(): void {
    // Messages left neither acked nor nacked (handed back to RabbitMQ at shutdown).
    for (const span of this.#processing.values()) {
      span.setAttribute("opsq.message.abandoned", true);
      span.end();
    }
    this.#processing.clear();
  }

  #end(proxy: MessageProxy, deadLettered: boolean): void {
    const span = this.#processing.get(proxy);
    if (span === undefined) {
      return;
    }
    this.#processing.delete(proxy);
    if (deadLettered) {
      span.setAttribute("opsq.message.dead_lettered", true);
      span.setStatus({ code: SpanStatusCode.ERROR, message: "dead-lettered" });
    }
    span.end();
  }
}

/** Process spans by actor context, whichever Tracing middleware started them (for {@link messageTraceContext}). */
const processSpans = new WeakMap<ActorContext, Span>();

/**
 * The OpenTelemetry context of the running actor's process span, to start spans of one's own as
 * its children (`tracer.startActiveSpan(name, {}, messageTraceContext() ?? context.active(), fn)`).
 * Undefined outside an actor, or when no Tracing middleware started a span for it.
 */
export function messageTraceContext(
  actorContext: ActorContext | undefined = currentContext(),
): Context | undefined {
  const span = actorContext === undefined ? undefined : processSpans.get(actorContext);
  return span === undefined ? undefined : trace.setSpan(context.active(), span);
}

/** The context to send a message in: the application's active span, else the running actor's process span. */
function parentOfSend(): Context {
  const active = context.active();
  if (trace.getSpan(active) !== undefined) {
    return active;
  }
  return messageTraceContext() ?? active;
}

function attributesOf(message: Message, operation: "send" | "process"): Attributes {
  return {
    "messaging.system": "rabbitmq",
    "messaging.operation.type": operation,
    "messaging.operation.name": operation,
    "messaging.destination.name": qName(message.queueName),
    "messaging.rabbitmq.destination.routing_key": message.queueName,
    "messaging.message.id": message.messageId,
    "opsq.actor.name": message.actorName,
    "opsq.message.retries": typeof message.options.retries === "number" ? message.options.retries : 0,
  };
}
