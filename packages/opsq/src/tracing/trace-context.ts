/**
 * W3C trace context (`traceparent`, `tracestate`) carried in a message option, written and read
 * here without a propagator: the format is fixed, so it works whatever propagators the
 * application configured (or none).
 *
 * @module
 */
import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  type SpanContext,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import type { WireOptions } from "../message.js";

/**
 * The message option that carries the trace context: `{ traceparent, tracestate? }`. Python
 * Dramatiq keeps unknown option keys as they are, so a message that goes through a Python
 * worker keeps it too.
 */
export const TRACE_CONTEXT_OPTION = "trace_context";

/** The value of the {@link TRACE_CONTEXT_OPTION} option. */
export interface TraceContextCarrier {
  /** `00-<trace id>-<span id>-<flags>`, as in the W3C header. */
  traceparent: string;
  /** Vendor entries, as in the W3C header; absent when empty. */
  tracestate?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The carrier of a span context (`undefined` when the context is invalid, e.g. the no-op tracer's). */
export function toCarrier(spanContext: SpanContext): TraceContextCarrier | undefined {
  if (!isSpanContextValid(spanContext)) {
    return undefined;
  }
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, "0");
  const carrier: TraceContextCarrier = {
    traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
  };
  const state = spanContext.traceState?.serialize();
  if (state !== undefined && state !== "") {
    carrier.tracestate = state;
  }
  return carrier;
}

/**
 * The remote span context a message carries, or `undefined` when it carries none or a
 * malformed one (a bad trace context is ignored, never a reason to fail the message).
 */
export function readSpanContext(options: WireOptions): SpanContext | undefined {
  const carrier = options[TRACE_CONTEXT_OPTION];
  if (typeof carrier !== "object" || carrier === null) {
    return undefined;
  }
  const { traceparent, tracestate } = carrier as Partial<Record<string, unknown>>;
  const match = typeof traceparent === "string" ? TRACEPARENT.exec(traceparent) : null;
  if (match === null) {
    return undefined;
  }
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (typeof tracestate === "string" && tracestate !== "") {
    spanContext.traceState = createTraceState(tracestate);
  }
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A context whose parent span is the one `options` carries (the active context when none). */
export function extractContext(options: WireOptions): Context {
  const spanContext = readSpanContext(options);
  return spanContext === undefined ? context.active() : trace.setSpanContext(context.active(), spanContext);
}
