/**
 * OpenTelemetry spans of ops-core (a task, each LLM call, each tool call), after the GenAI
 * semantic conventions. Only `@opentelemetry/api`: without an SDK installed by the application
 * the tracer is the no-op one and nothing is recorded.
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
  trace,
} from "@opentelemetry/api";

/** Name of the tracer ops-core asks the global tracer provider for. */
export const OPS_CORE_TRACER = "ops-core";

// A proxy: it follows a provider the application registers later.
const tracer = trace.getTracer(OPS_CORE_TRACER);

/** What {@link inSpan} starts. */
export interface SpanSpec {
  /** Span name, e.g. `chat gpt-4o-mini`. */
  name: string;
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  /** Attributes known at the start. */
  attributes: Attributes;
  /** The parent. @default the active context */
  parent?: Context | undefined;
}

/**
 * Runs `fn` in a new span (active in `fn`'s context, and passed to it), ended when `fn` settles;
 * an error thrown is recorded on the span (status ERROR) and re-thrown.
 */
export async function inSpan<T>(spec: SpanSpec, fn: (span: Span, inner: Context) => Promise<T>): Promise<T> {
  const parent = spec.parent ?? context.active();
  const span = tracer.startSpan(
    spec.name,
    { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes },
    parent,
  );
  const inner = trace.setSpan(parent, span);
  try {
    return await context.with(inner, () => fn(span, inner));
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    span.recordException(failure);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    throw error;
  } finally {
    span.end();
  }
}
