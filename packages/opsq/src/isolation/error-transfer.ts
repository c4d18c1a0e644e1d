/**
 * Errors across the runner boundary: the runner flattens what the handler
 * threw into JSON, and the parent re-creates an error of the same kind, so
 * that Retries sees a {@link Retry} (with its delay), an
 * {@link UnrecoverableError}, or an error class listed in the actor's `throws`.
 *
 * Classes are matched by name along the thrown error's prototype chain: the
 * parent cannot import arbitrary classes of the runner, but it knows opsq's,
 * JavaScript's built-in ones, and the classes in `throws`.
 *
 * @module
 */

import { describeStack, errorNameAndMessage } from "../error-text.js";
import * as opsqErrors from "../errors.js";
import { toError } from "../errors.js";
import type { ErrorClass } from "../options.js";

/** An error flattened to JSON. */
export interface SerializedError {
  /** The error's `name`. */
  readonly name: string;
  /** The error's `message`. */
  readonly message: string;
  /** The stack as printed in the runner. */
  readonly stack?: string;
  /** Constructor names along the prototype chain, most derived first (`["MyError", "TypeError", "Error"]`). */
  readonly chain: readonly string[];
  /** Own enumerable fields that survive JSON (`code`, `delayMs`, …). */
  readonly props?: Record<string, unknown>;
  /** The `cause`, when it is an error. */
  readonly cause?: SerializedError;
}

const MAX_CAUSE_DEPTH = 4;
const SKIPPED_PROPS = new Set(["name", "message", "stack", "cause"]);

/** Flattens anything thrown into a {@link SerializedError}; never throws (a getter that throws gives a description). */
export function serializeError(thrown: unknown, depth = 0): SerializedError {
  try {
    return flatten(thrown, depth);
  } catch {
    const { type, message } = errorNameAndMessage(thrown);
    return { name: type, message, stack: describeStack(thrown), chain: [type] };
  }
}

function flatten(thrown: unknown, depth: number): SerializedError {
  const error = toError(thrown);
  const chain: string[] = [];
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Object.prototype; ) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === "string" && name !== "" && !chain.includes(name)) {
      chain.push(name);
    }
    proto = Object.getPrototypeOf(proto);
  }
  const name = typeof error.name === "string" ? error.name : "Error";
  if (!chain.includes(name)) {
    chain.unshift(name);
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (!SKIPPED_PROPS.has(key)) {
      const value = jsonSafe((error as unknown as Record<string, unknown>)[key]);
      if (value !== undefined) {
        props[key] = value;
      }
    }
  }
  const cause = error.cause;
  return {
    name,
    message: String(error.message),
    ...(typeof error.stack === "string" ? { stack: error.stack } : {}),
    chain,
    ...(Object.keys(props).length > 0 ? { props } : {}),
    ...(cause instanceof Error && depth < MAX_CAUSE_DEPTH ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}

// Every error class opsq exports (Retry, UnrecoverableError, TimeLimitExceeded, RateLimitExceeded, …), by name.
const OPSQ_ERRORS = new Map<string, ErrorClass>(
  (Object.values(opsqErrors) as unknown[])
    .filter((value): value is ErrorClass => typeof value === "function" && value.prototype instanceof Error)
    .map((kind) => [kind.name, kind]),
);

const BUILT_IN_ERRORS: Record<string, new (message: string) => Error> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Re-creates a flattened error: an instance of the first class of its chain found in `throws`,
 * else of opsq's own classes, else of JavaScript's built-in ones, else `Error`; with the original
 * name, message, stack, JSON fields and cause.
 *
 * @param serialized what the runner sent
 * @param throws the actor's `throws` option, so `instanceof` holds for those classes
 */
export function reviveError(serialized: SerializedError, throws: readonly ErrorClass[] = []): Error {
  const error = create(serialized, throws);
  if (error.name !== serialized.name) {
    Object.defineProperty(error, "name", {
      value: serialized.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (error.message !== serialized.message) {
    error.message = serialized.message;
  }
  if (serialized.stack !== undefined) {
    error.stack = serialized.stack;
  }
  for (const [key, value] of Object.entries(serialized.props ?? {})) {
    (error as unknown as Record<string, unknown>)[key] = value;
  }
  if (serialized.cause !== undefined) {
    error.cause = reviveError(serialized.cause, throws);
  }
  return error;
}

function create(serialized: SerializedError, throws: readonly ErrorClass[]): Error {
  for (const name of serialized.chain) {
    const listed = throws.find((kind) => kind.name === name);
    if (listed !== undefined) {
      return instanceOf(listed, serialized);
    }
  }
  for (const name of serialized.chain) {
    const known = OPSQ_ERRORS.get(name);
    if (known !== undefined) {
      return instanceOf(known, serialized);
    }
    const BuiltIn = BUILT_IN_ERRORS[name];
    if (BuiltIn !== undefined) {
      return new BuiltIn(serialized.message);
    }
  }
  return new Error(serialized.message);
}

// A real Error (with a stack slot) whose prototype is the class's: no constructor to guess
// arguments for; its fields (`delayMs`, `timeLimitMs`, `key`, …) are copied from `props` after.
function instanceOf(kind: ErrorClass, serialized: SerializedError): Error {
  return Object.setPrototypeOf(new Error(serialized.message), kind.prototype) as Error;
}

// The value as JSON would carry it, or undefined when it cannot be carried.
function jsonSafe(value: unknown): unknown {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") {
    return undefined;
  }
  try {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : JSON.parse(json);
  } catch {
    return undefined;
  }
}
