/**
 * Messages and their wire format: Dramatiq's seven-key JSON body, byte-compatible
 * with Python Dramatiq 2.x (see `dramatiq-wire.md`).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { DecodeError } from "./errors.js";
import { asciiJson, memberTexts } from "./message-encoding.js";
import { checkMessageDict } from "./message-validation.js";
import { qName } from "./queue-names.js";

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
  /** Text of the last failure: a Python traceback, or a JS stack; both end with `<ErrorName>: <message>`. */
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

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** The text a message was decoded from, and the values decoded from it (to know if they are unchanged). */
interface Received {
  readonly text: string;
  readonly args: unknown;
  readonly kwargs: unknown;
  readonly pipeTarget: unknown;
  /** The text of each top-level member; found on the first re-publish, then kept. */
  members?: Map<string, string>;
  /** The text of `options.pipe_target`; found when first needed, then kept. */
  pipeTargetText?: string;
}

/** A decoded `pipe_target` object → what its parent message was decoded from (for `fromDict`). */
const pipeTargetParents = new WeakMap<object, Received>();

function receivedFrom(text: string, message: Message): Received {
  const pipeTarget = message.options.pipe_target;
  const received: Received = { text, args: message.args, kwargs: message.kwargs, pipeTarget };
  if (typeof pipeTarget === "object" && pipeTarget !== null) {
    pipeTargetParents.set(pipeTarget, received);
  }
  return received;
}

function membersOf(received: Received): Map<string, string> {
  received.members ??= memberTexts(received.text);
  return received.members;
}

function pipeTargetTextOf(received: Received): string | undefined {
  if (received.pipeTargetText === undefined) {
    const options = membersOf(received).get("options");
    received.pipeTargetText = options === undefined ? undefined : memberTexts(options).get("pipe_target");
  }
  return received.pipeTargetText;
}

// The options as compact ASCII JSON, with `pipe_target` written as the text received.
function optionsJson(options: WireOptions, pipeTargetText: string): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    const json = key === "pipe_target" ? pipeTargetText : asciiJson(value);
    if (json !== undefined) {
      parts.push(`${asciiJson(key)}:${json}`);
    }
  }
  return `{${parts.join(",")}}`;
}

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
  /** Set by `decode`, carried by copies: re-publishing keeps the `args`/`kwargs` bytes received. */
  #received: Received | undefined;

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
    const copy = new Message<A, R>({ ...this.fields(), ...changes });
    // Replaced args or kwargs are told apart at encode time, by identity.
    copy.#received = this.#received;
    return copy;
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

  /**
   * The UTF-8 JSON body to publish, as Dramatiq writes it: its key order, no spaces, non-ASCII
   * escaped as `\uXXXX`. The `args`, `kwargs` and `options.pipe_target` of a decoded message (and
   * of its copies) are written as the bytes received, unless they were replaced, so that numbers
   * JavaScript cannot hold (`2**63`, `1.0`, `-0.0`) reach the next consumer unchanged.
   */
  encode(): Buffer {
    let args: string | undefined;
    let kwargs: string | undefined;
    let options: string | undefined;
    const received = this.#received;
    if (received !== undefined) {
      if (received.args === this.args) {
        args = membersOf(received).get("args");
      }
      if (received.kwargs === this.kwargs) {
        kwargs = membersOf(received).get("kwargs");
      }
      const pipeTarget = this.options.pipe_target;
      if (pipeTarget !== undefined && pipeTarget === received.pipeTarget) {
        const text = pipeTargetTextOf(received);
        options = text === undefined ? undefined : optionsJson(this.options, text);
      }
    }
    return Buffer.from(
      `{"queue_name":${asciiJson(this.queueName)},"actor_name":${asciiJson(this.actorName)},"args":${
        args ?? asciiJson(this.args)
      },"kwargs":${kwargs ?? asciiJson(this.kwargs)},"options":${options ?? asciiJson(this.options)},"message_id":${asciiJson(
        this.messageId,
      )},"message_timestamp":${JSON.stringify(this.messageTimestamp)}}`,
    );
  }

  /**
   * Builds a message from a decoded (or nested `pipe_target`) dictionary, validating every key
   * and every option opsq reads (see `message-validation.ts`). The `pipe_target` of a decoded
   * message keeps the text it was decoded from, as `decode` does.
   * @throws DecodeError with the reason when a rule is not met
   */
  static fromDict(value: unknown, raw: Uint8Array = new Uint8Array()): Message {
    const reason = checkMessageDict(value);
    if (reason !== undefined) {
      throw new DecodeError(reason, raw);
    }
    const dict = value as unknown as MessageDict;
    const message = new Message({
      queueName: dict.queue_name,
      actorName: dict.actor_name,
      args: dict.args,
      kwargs: dict.kwargs,
      options: dict.options,
      messageId: dict.message_id,
      messageTimestamp: dict.message_timestamp,
    });
    // A pipe_target of a decoded message: its members are written as received too.
    const parent = pipeTargetParents.get(dict);
    const text = parent === undefined ? undefined : pipeTargetTextOf(parent);
    if (text !== undefined) {
      message.#received = receivedFrom(text, message);
    }
    return message;
  }

  /**
   * Decodes a raw body; throws {@link DecodeError} with the reason and the raw bytes.
   *
   * @param data the body as received
   * @param deliveredOn the queue it was delivered on (`q` or `q.DQ`): its `queue_name` must be
   *   of the same family, so that re-publishing it never reaches another queue
   */
  static decode(data: Uint8Array, deliveredOn?: string): Message {
    let value: unknown;
    let text: string;
    try {
      text = textDecoder.decode(data);
      value = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof SyntaxError ? `invalid JSON (${error.message})` : "invalid UTF-8";
      throw new DecodeError(reason, data, { cause: error });
    }
    const message = Message.fromDict(value, data);
    if (deliveredOn !== undefined && qName(message.queueName) !== qName(deliveredOn)) {
      throw new DecodeError(
        `queue_name "${message.queueName}" is not of the queue "${deliveredOn}" the message was delivered on`,
        data,
      );
    }
    message.#received = receivedFrom(text, message);
    return message;
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
