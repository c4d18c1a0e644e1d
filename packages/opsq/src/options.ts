/**
 * Actor and message options: their TypeScript names (camelCase, units in the
 * name), their wire keys (Dramatiq's snake_case, milliseconds), and the lookup
 * order message option > actor option > middleware default.
 *
 * @module
 */
import type { Message, WireOptions } from "./message.js";
import { checkOptionValue } from "./message-validation.js";

/** Something with an actor name: an actor object or anything shaped like one. */
export interface ActorRef {
  readonly name: string;
}

/** An error class, as accepted by the `throws` option. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Options understood by the default middleware. Each can be set on an actor;
 * the JSON-valued ones can also be set per message (see {@link MessageOptions}).
 * Custom middleware add their own options by declaration merging:
 *
 * @example
 * ```ts
 * declare module "opsq" {
 *   interface MiddlewareOptions { tenant?: string }
 * }
 * ```
 */
export interface MiddlewareOptions {
  /** Retries: how many retries after the first attempt. @default 20 */
  maxRetries?: number;
  /** Retries: smallest backoff. @default 15000 */
  minBackoffMs?: number;
  /** Retries: largest backoff. @default 604800000 (7 days) */
  maxBackoffMs?: number;
  /** Retries: decides from the retries so far (0 after the first attempt) and the error whether to retry; overrides `maxRetries`. */
  retryWhen?: (retries: number, error: Error) => boolean;
  /** Retries: error classes that fail the message at once, without retries. */
  throws?: readonly ErrorClass[];
  /** Retries: actor sent `(messageDict, { retries, max_retries })` when retries run out. */
  onRetryExhausted?: string | ActorRef;
  /** TimeLimit: how long an attempt may run. @default 600000 (10 min) */
  timeLimitMs?: number;
  /** AgeLimit: a message older than this (since it was first created) is dead-lettered unprocessed. */
  maxAgeMs?: number;
  /** ShutdownNotifications: abort the attempt's signal with `Shutdown` when the worker stops. @default false */
  notifyShutdown?: boolean;
  /** Callbacks: actor sent `(messageDict, result)` after a success. */
  onSuccess?: string | ActorRef;
  /** Callbacks: actor sent `(messageDict, { type, message })` after each failed attempt. */
  onFailure?: string | ActorRef;
  /** Pipelines: do not append the previous step's result to this message's arguments. */
  pipeIgnore?: boolean;
  /** Results: store the actor's result (or final failure) in the result backend. @default false */
  storeResults?: boolean;
  /** Results: how long a stored result is kept. @default 600000 (10 min) */
  resultTtlMs?: number;
  /** Dedup: a message with the same key is not run twice while one is queued, delayed, running or within `dedupTtlMs` of its success. */
  dedupKey?: string;
  /** Dedup: how long after a success the key still refuses a new message. @default 0 */
  dedupTtlMs?: number;
  /** RabbitMQ: AMQP priority of the message (needs a broker declared with `maxPriority`). */
  brokerPriority?: number;
}

/** The options that may be set on a single message: every JSON-valued middleware option. */
export type MessageOptions = Omit<MiddlewareOptions, "retryWhen" | "throws">;

/**
 * The wire key of an option name: camelCase to snake_case, with a trailing `Ms`
 * dropped because every wire duration is in milliseconds
 * (`minBackoffMs` → `min_backoff`, `onRetryExhausted` → `on_retry_exhausted`).
 */
export function toWireKey(name: string): string {
  let key = wireKeys[name];
  if (key === undefined) {
    key = name.replace(/Ms$/, "").replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    wireKeys[name] = key;
  }
  return key;
}

// The options typed `string | ActorRef`: any `{ name }` is sent as the name.
const ACTOR_OPTIONS = new Set(["onSuccess", "onFailure", "onRetryExhausted"]);

// Option names are few and looked up for every message: convert each once (a plain object: a
// property load by a name the caller passes as a literal is cheaper than a Map lookup).
const wireKeys: Record<string, string | undefined> = Object.create(null);

/** Converts message options to wire options: wire keys, actor references as names. */
export function toWireOptions(options: Record<string, unknown>): WireOptions {
  const wire: WireOptions = {};
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) {
      continue;
    }
    if (typeof value === "function") {
      throw new TypeError(`option "${name}" cannot be set per message: it is not JSON (set it on the actor)`);
    }
    const key = toWireKey(name);
    const problem = checkOptionValue(name, key, value);
    if (problem !== undefined) {
      throw new RangeError(`message option ${problem}`);
    }
    wire[key] = isActorRef(value) || (ACTOR_OPTIONS.has(name) && hasName(value)) ? value.name : value;
  }
  return wire;
}

/**
 * Looks an option up: the message's wire option, then the actor's option, then `fallback`.
 *
 * @param message the message being processed
 * @param actorOptions the options the actor was defined with (camelCase)
 * @param name the option's TypeScript name
 * @param fallback the middleware default
 */
export function getOption<K extends keyof MiddlewareOptions>(
  message: Message,
  actorOptions: Readonly<MiddlewareOptions> | undefined,
  name: K,
  fallback?: MiddlewareOptions[K],
): MiddlewareOptions[K] {
  const fromMessage = message.options[toWireKey(name)];
  if (fromMessage !== undefined && fromMessage !== null) {
    return fromMessage as MiddlewareOptions[K];
  }
  const fromActor = actorOptions?.[name];
  return fromActor !== undefined ? fromActor : fallback;
}

/** The actor name behind an option that holds an actor or its name. */
export function actorNameOf(value: string | ActorRef | undefined): string | undefined {
  return typeof value === "object" ? value.name : value;
}

function hasName(value: unknown): value is ActorRef {
  return typeof value === "object" && value !== null && "name" in value && typeof value.name === "string";
}

function isActorRef(value: unknown): value is ActorRef {
  return hasName(value) && "send" in value;
}
