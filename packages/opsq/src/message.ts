/**
 * Messages and their wire format: Dramatiq's seven-key JSON body, byte-compatible
 * with Python Dramatiq 2.x (see `dramatiq-wire.md`).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { DecodeError } from "./errors.js";

/**
 * Per-message options as they travel on the wire: snake_case keys, durations in
 * milliseconds. Unknown keys are kept as they are, so options set by a Python
 * producer survive a round trip through opsq.
 */
export interface WireOptions {
  /** Unix ms at which a delayed message becomes due. */
  eta?: number;
  /** How many times the message was retried so far. */
  retries?: number;
  /** Text of the last failure (Python sends a traceback, opsq a stack). */
  traceback?: string;
  /** Unix ms of the last re-enqueue by Retries. */
  requeue_timestamp?: number;
  /** A whole nested message to enqueue with this one's result (Pipelines). */
  pipe_target?: MessageDict;
  [key: string]: unknown;
}

/** A message as a plain object: exactly the seven keys of Dramatiq's body. */
export interface MessageDict {
  queue_name: string;
  actor_name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: WireOptions;
  message_id: string;
  message_timestamp: number;
}

/** The fields a new message is made from; id and timestamp default to fresh values. */
export interface MessageFields<A extends readonly unknown[] = unknown[]> {
  queueName: string;
  actorName: string;
  args: A;
  kwargs?: Record<string, unknown>;
  options?: WireOptions;
  messageId?: string;
  messageTimestamp?: number;
}

const REQUIRED_KEYS = ["queue_name", "actor_name", "args", "kwargs", "options"] as const;
const ALL_KEYS = new Set<string>([...REQUIRED_KEYS, "message_id", "message_timestamp"]);
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * An immutable message: what is sent to an actor.
 *
 * @typeParam A - the actor's positional argument types
 * @typeParam R - the actor's result type (used by result backends)
 */
export class Message<A extends readonly unknown[] = unknown[], R = unknown> {
  /** Queue it is published to: `q`, or `q.DQ` while delayed. */
  readonly queueName: string;
  /** Name of the actor that processes it. */
  readonly actorName: string;
  /** Positional arguments. */
  readonly args: A;
  /** Keyword arguments (from Python producers, or `sendWithOptions({ kwargs })`). */
  readonly kwargs: Record<string, unknown>;
  /** Wire options (snake_case, milliseconds). */
  readonly options: WireOptions;
  /** UUID v4, kept across retries. */
  readonly messageId: string;
  /** Unix ms when the message was first created, kept across retries. */
  readonly messageTimestamp: number;
  /** Phantom field carrying the result type; never set. */
  declare readonly __result?: R;

  /** @param fields the message's content; id and timestamp are generated when absent */
  constructor(fields: MessageFields<A>) {
    this.queueName = fields.queueName;
    this.actorName = fields.actorName;
    this.args = fields.args;
    this.kwargs = fields.kwargs ?? {};
    this.options = fields.options ?? {};
    this.messageId = fields.messageId ?? randomUUID();
    this.messageTimestamp = fields.messageTimestamp ?? Date.now();
  }

  /** A copy with some fields replaced; `options` replaces the whole options object. */
  copy(changes: Partial<MessageFields<A>> = {}): Message<A, R> {
    return new Message<A, R>({ ...this.fields(), ...changes });
  }

  /** A copy whose options are merged with `options`; a key set to `undefined` is removed. */
  withOptions(options: WireOptions): Message<A, R> {
    const merged: WireOptions = { ...this.options };
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined) {
        delete merged[key];
      } else {
        merged[key] = value;
      }
    }
    return this.copy({ options: merged });
  }

  /** The message as Dramatiq's seven-key object. */
  asDict(): MessageDict {
    return {
      queue_name: this.queueName,
      actor_name: this.actorName,
      args: this.args as unknown as unknown[],
      kwargs: this.kwargs,
      options: this.options,
      message_id: this.messageId,
      message_timestamp: this.messageTimestamp,
    };
  }

  /** The UTF-8 JSON body to publish. */
  encode(): Buffer {
    return Buffer.from(JSON.stringify(this.asDict()));
  }

  /** Builds a message from a decoded (or nested `pipe_target`) dictionary, validating it. */
  static fromDict(value: unknown, raw: Uint8Array = new Uint8Array()): Message {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new DecodeError("the body is not a JSON object", raw);
    }
    const dict = value as Record<string, unknown>;
    for (const key of REQUIRED_KEYS) {
      if (!(key in dict)) {
        throw new DecodeError(`missing key "${key}"`, raw);
      }
    }
    for (const key of Object.keys(dict)) {
      if (!ALL_KEYS.has(key)) {
        throw new DecodeError(`unexpected key "${key}"`, raw);
      }
    }
    const { queue_name, actor_name, args, kwargs, options, message_id, message_timestamp } = dict;
    expect(typeof queue_name === "string", "queue_name must be a string", raw);
    expect(typeof actor_name === "string", "actor_name must be a string", raw);
    expect(Array.isArray(args), "args must be an array", raw);
    expect(isPlainObject(kwargs), "kwargs must be an object", raw);
    expect(isPlainObject(options), "options must be an object", raw);
    expect(message_id === undefined || typeof message_id === "string", "message_id must be a string", raw);
    expect(
      message_timestamp === undefined || Number.isFinite(message_timestamp),
      "message_timestamp must be a number",
      raw,
    );
    return new Message({
      queueName: queue_name as string,
      actorName: actor_name as string,
      args: args as unknown[],
      kwargs: kwargs as Record<string, unknown>,
      options: options as WireOptions,
      messageId: message_id as string | undefined,
      messageTimestamp: message_timestamp as number | undefined,
    });
  }

  /** Decodes a raw body; throws {@link DecodeError} with the reason and the raw bytes. */
  static decode(data: Uint8Array): Message {
    let value: unknown;
    try {
      value = JSON.parse(textDecoder.decode(data));
    } catch (error) {
      const reason = error instanceof SyntaxError ? `invalid JSON (${error.message})` : "invalid UTF-8";
      throw new DecodeError(reason, data, { cause: error });
    }
    return Message.fromDict(value, data);
  }

  private fields(): MessageFields<A> {
    return {
      queueName: this.queueName,
      actorName: this.actorName,
      args: this.args,
      kwargs: this.kwargs,
      options: this.options,
      messageId: this.messageId,
      messageTimestamp: this.messageTimestamp,
    };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function expect(condition: boolean, reason: string, raw: Uint8Array): asserts condition {
  if (!condition) {
    throw new DecodeError(reason, raw);
  }
}
