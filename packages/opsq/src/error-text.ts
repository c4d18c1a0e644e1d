/**
 * Text of anything thrown, for logs and dead-letter reasons, that can never
 * throw itself: an error whose `message`, `stack`, `name` or `toString` getter
 * throws, a revoked proxy, a circular cause chain, a deep `AggregateError`. Every
 * text is redacted ({@link redactUrl}) through the whole `cause` chain, and bounded.
 *
 * @module
 */
import { redactUrl } from "./redact.js";

/** An error as {@link serializeError} writes it in a log line (pino's `err` shape). */
export interface SerializedError {
  /** The error's class name (`name`), or the `typeof` of a thrown non-error. */
  type: string;
  /** Its message, then each cause's, joined by `: ` (as pino's serializer does). */
  message: string;
  /** Its stack, then each cause's after `caused by: `. */
  stack?: string;
  /** The errors of an `AggregateError` (at most {@link MAX_AGGREGATED}). */
  aggregateErrors?: SerializedError[];
  /** Own enumerable fields holding a string, number or boolean (`code`, `errno`…). */
  [field: string]: unknown;
}

/** Causes followed, at most, from one error. */
const MAX_CAUSES = 8;
/** Errors of an `AggregateError` kept, at most. */
const MAX_AGGREGATED = 10;
/** Longest message or field text kept. */
const MAX_TEXT = 4_000;
/** Longest stack kept (with its causes). */
const MAX_STACK = 16_000;

/**
 * One line describing `thrown` (`TypeError: bad thing`), redacted, at most
 * `maxChars` long; never throws. An unreadable part is named as such.
 */
export function describeError(thrown: unknown, maxChars = 1_000): string {
  const { type, message } = headOf(thrown);
  const text = message === "" ? type : `${type}: ${message}`;
  return clip(redactUrl(text).replace(/\s+/g, " ").trim(), maxChars);
}

/**
 * The type (`name`) and message of `thrown`, redacted and bounded; never throws. For failures
 * stored or sent on (a stored result's exception, an `onFailure` callback's argument).
 */
export function errorNameAndMessage(thrown: unknown): { type: string; message: string } {
  const { type, message } = headOf(thrown);
  return { type: clip(type, 200), message: clip(redactUrl(message), MAX_TEXT) };
}

/**
 * `thrown`'s stack (its message when it has none), redacted; never throws. For tracebacks
 * stored on a message.
 */
export function describeStack(thrown: unknown, maxChars = MAX_STACK): string {
  const stack = readString(thrown, "stack");
  return clip(redactUrl(stack ?? describeError(thrown, maxChars)), maxChars);
}

/**
 * A traceback as Dramatiq writes one in `options.traceback`: `thrown`'s stack, then a last line
 * `<ErrorName>: <message>` (the line people and tools read), then a newline, as Python's
 * `traceback.format_exc()` ends. Redacted, at most `maxChars` long (the stack is cut, never the
 * last line); never throws.
 */
export function describeTraceback(thrown: unknown, maxChars = MAX_STACK): string {
  const last = describeError(thrown, Math.max(1, Math.min(1_000, maxChars - 1)));
  const stack = readString(thrown, "stack");
  const room = maxChars - last.length - 2;
  if (stack === undefined || room <= 1) {
    return `${last}\n`;
  }
  return `${clip(redactUrl(stack).trimEnd(), room)}\n${last}\n`;
}

/**
 * `thrown` as a log field (pino's `err` serializer shape), with its cause chain and
 * aggregated errors, redacted and bounded; never throws. Install it as pino's `err` serializer.
 */
export function serializeError(thrown: unknown): SerializedError {
  return serialize(thrown, 0);
}

function serialize(thrown: unknown, depth: number): SerializedError {
  if (isSerialized(thrown)) {
    // Already serialized (a thrown plain object may look so too): only redacted again.
    const { message, stack } = thrown;
    return {
      ...thrown,
      message: clip(redactUrl(message), MAX_TEXT),
      ...(typeof stack === "string" ? { stack: clip(redactUrl(stack), MAX_STACK) } : {}),
    };
  }
  const { type, message } = headOf(thrown);
  if (!isObject(thrown)) {
    return { type, message: clip(redactUrl(message), MAX_TEXT) };
  }
  const messages = [message];
  const stacks = [readString(thrown, "stack") ?? `${type}: ${message}`];
  const seen = new Set<unknown>([thrown]);
  let cause = read(thrown, "cause");
  while (cause !== undefined && cause !== null && !seen.has(cause) && seen.size <= MAX_CAUSES) {
    seen.add(cause);
    const head = headOf(cause);
    messages.push(head.message === "" ? head.type : head.message);
    stacks.push(
      `caused by: ${(isObject(cause) && readString(cause, "stack")) || `${head.type}: ${head.message}`}`,
    );
    cause = isObject(cause) ? read(cause, "cause") : undefined;
  }
  const serialized: SerializedError = {
    type,
    message: clip(redactUrl(messages.filter((text) => text !== "").join(": ")), MAX_TEXT),
    stack: clip(redactUrl(stacks.join("\n")), MAX_STACK),
  };
  copyFields(thrown, serialized);
  // The errors of every AggregateError in the chain (a cause may be one).
  const aggregated: SerializedError[] = [];
  for (const error of seen) {
    const errors = isObject(error) ? read(error, "errors") : undefined;
    if (Array.isArray(errors) && depth < 3) {
      for (const each of errors.slice(0, MAX_AGGREGATED - aggregated.length)) {
        aggregated.push(serialize(each, depth + 1));
      }
    }
  }
  if (aggregated.length > 0) {
    serialized.aggregateErrors = aggregated;
  }
  return serialized;
}

// Own enumerable fields with a primitive value (code, errno, syscall, actorName…).
function copyFields(thrown: object, into: SerializedError): void {
  let keys: string[];
  try {
    keys = Object.keys(thrown).slice(0, 32);
  } catch {
    return;
  }
  for (const key of keys) {
    if (key in into || key === "cause" || key === "errors" || key === "__proto__") {
      continue;
    }
    const value = read(thrown, key);
    if (typeof value === "string") {
      into[key] = clip(redactUrl(value), MAX_TEXT);
    } else if (typeof value === "number" || typeof value === "boolean") {
      into[key] = value;
    }
  }
}

function isSerialized(value: unknown): value is SerializedError {
  try {
    return (
      isObject(value) &&
      Object.getPrototypeOf(value) === Object.prototype &&
      typeof (value as SerializedError).type === "string" &&
      typeof (value as SerializedError).message === "string" &&
      !(value instanceof Error)
    );
  } catch {
    return false;
  }
}

function headOf(thrown: unknown): { type: string; message: string } {
  if (!isObject(thrown)) {
    return { type: typeof thrown, message: primitiveText(thrown) };
  }
  const type = readString(thrown, "name") ?? constructorName(thrown) ?? "Error";
  const message = read(thrown, "message", UNREADABLE);
  if (message === UNREADABLE) {
    return { type, message: "(its message cannot be read: the getter threw)" };
  }
  if (typeof message === "string") {
    return { type, message };
  }
  if (message === undefined) {
    return { type, message: jsonText(thrown) ?? "" };
  }
  return { type, message: primitiveText(message) };
}

const UNREADABLE = Symbol("unreadable");

function read(target: object, key: string, fallback?: unknown): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch {
    return fallback;
  }
}

function readString(target: unknown, key: string): string | undefined {
  if (!isObject(target)) {
    return undefined;
  }
  const value = read(target, key);
  return typeof value === "string" ? value : undefined;
}

function constructorName(target: object): string | undefined {
  try {
    const name = (Object.getPrototypeOf(target) as { constructor?: { name?: unknown } } | null)?.constructor
      ?.name;
    return typeof name === "string" && name !== "" ? name : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function jsonText(value: unknown): string | undefined {
  try {
    const json = JSON.stringify(value);
    return json === "{}" ? undefined : json;
  } catch {
    return undefined;
  }
}

function primitiveText(value: unknown): string {
  if (typeof value === "string") {
    return value;
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}
