/**
 * Read-only looks at a queue family, and moving dead letters back: counts and
 * consumers of `q`, `q.DQ` and `q.XQ` (`queue.declare` passive, so nothing is
 * created), dead letters read with `basic.get` and handed back untouched, and
 * dead letters re-published to the queue they died in (with publisher
 * confirms) before their `q.XQ` copy is acked, so none is ever lost.
 *
 * @module
 */
import type { Channel, ChannelModel, GetMessage, MessageProperties, Options, Replies } from "amqplib";
import { describeError } from "../../error-text.js";
import { BrokerError } from "../../errors.js";
import { dqName, qName, xqName } from "../../queue-names.js";
import { errorText, type RabbitmqConnection } from "./connection.js";
import { publishToQueue } from "./publish-properties.js";
import type { QueueProbe } from "./queue-probe.js";

/** Counts of one queue family, from RabbitMQ (messages held unacked by consumers are not counted). */
export interface QueueInspection {
  /** The canonical queue `q`. */
  queue: string;
  /** False when `q` does not exist (the counts are then 0). */
  exists: boolean;
  /** Ready messages in `q`. */
  ready: number;
  /** Ready messages in `q.DQ` (delayed messages workers hold until their ETA are not counted). */
  delayed: number;
  /** Messages in `q.XQ`. */
  deadLettered: number;
  /** Consumers of `q`. */
  consumers: number;
  /** Consumers of `q.DQ`. */
  delayConsumers: number;
}

/** One `x-death` entry: why and where RabbitMQ dead-lettered a message. */
export interface Death {
  /** `rejected` (a worker gave up on it), `delivery_limit` (quorum), `expired`… */
  reason: string;
  /** The queue it died in. */
  queue: string;
  /** How many times it died there for this reason. */
  count: number;
  /** When it last died there (ISO 8601), when RabbitMQ says. */
  time: string | undefined;
}

/** A dead-lettered message of `q.XQ`, decoded. */
export interface DeadLetter {
  /** Dramatiq's `message_id`. */
  messageId: string | undefined;
  /** Dramatiq's `actor_name`. */
  actor: string | undefined;
  /** Dramatiq's `queue_name`. */
  queueName: string | undefined;
  /** Positional arguments, as a preview: bounded in depth and size (see {@link decodeDeadLetter}). */
  args: unknown[];
  /** Keyword arguments, as a preview. */
  kwargs: Record<string, unknown>;
  /** The message's options (`retries`, `traceback`…), as a preview. */
  options: Record<string, unknown>;
  /**
   * The error line of `options.traceback` (`ValueError: bad`), when present. It is the error of
   * attempt {@link DeadLetter.errorAttempt}: as Dramatiq does, a worker dead-letters the message
   * as last published (a nack; RabbitMQ adds `x-death`), so the last attempt's own error is not on
   * it, only in the log of the worker that dead-lettered it.
   */
  error: string | undefined;
  /** The attempt (from 1) whose error {@link DeadLetter.error} is: `options.retries`, when set. */
  errorAttempt: number | undefined;
  /** Attempts made on the message as last published: `options.retries` + 1. */
  attempts: number;
  /** `x-death` entries, most recent first. */
  deaths: Death[];
  /** Set when the body is not a Dramatiq message; the raw body is then in `body`. */
  body?: string;
}

/** What {@link requeueDeadLetters} did. */
export interface RequeueResult {
  /** The canonical queue. */
  queue: string;
  /** Messages moved from `q.XQ` back to `q` (or `q.DQ`, where they died). */
  moved: number;
}

/** Most messages re-published before waiting for their confirms. */
const REQUEUE_BATCH = 100;

/**
 * Counts and consumers of the family of `queueName`, without declaring anything: three passive
 * declares at once, each on a channel of its own, or one after the other on `probe`'s channel.
 */
export async function inspectQueue(
  connection: RabbitmqConnection,
  queueName: string,
  probe?: QueueProbe,
): Promise<QueueInspection> {
  const q = qName(queueName);
  const names = [q, dqName(q), xqName(q)];
  let replies: (Replies.AssertQueue | undefined)[];
  if (probe === undefined) {
    const model = await connection.ready();
    replies = await Promise.all(names.map((name) => check(model, name)));
  } else {
    replies = [];
    for (const name of names) {
      replies.push(await probe.check(name));
    }
  }
  const [main, delay, dead] = replies;
  return {
    queue: q,
    exists: main !== undefined,
    ready: main?.messageCount ?? 0,
    delayed: delay?.messageCount ?? 0,
    deadLettered: dead?.messageCount ?? 0,
    consumers: main?.consumerCount ?? 0,
    delayConsumers: delay?.consumerCount ?? 0,
  };
}

/**
 * Up to `limit` dead letters of `q.XQ`, oldest first, read with `basic.get` and
 * handed back (nack with requeue) so they stay where they were.
 */
export async function readDeadLetters(
  connection: RabbitmqConnection,
  queueName: string,
  limit: number,
): Promise<DeadLetter[]> {
  const xq = xqName(queueName);
  const model = await connection.ready();
  await requireQueue(model, xq);
  const channel = await openChannel(model);
  const taken: GetMessage[] = [];
  try {
    while (taken.length < limit) {
      const message = await channel.get(xq, { noAck: false });
      if (message === false) {
        break;
      }
      taken.push(message);
    }
    return taken.map(decodeDeadLetter);
  } catch (error) {
    throw new BrokerError(`cannot read the dead letters of "${xq}": ${errorText(error)}`, { cause: error });
  } finally {
    if (taken.length > 0) {
      channel.nackAll(true);
    }
    // Closing the channel would hand them back too; the nack above just makes it explicit.
    await channel.close().catch(() => {});
  }
}

/**
 * Moves up to `limit` dead letters (never more than `q.XQ` held when called, so
 * that messages dying again meanwhile are not cycled) back to the queue they
 * died in, body untouched: each batch is published with confirms, and only then
 * are its `q.XQ` copies acked. A failure leaves the unmoved ones in `q.XQ`
 * (a batch interrupted between the confirms and the acks may exist twice).
 */
export async function requeueDeadLetters(
  connection: RabbitmqConnection,
  queueName: string,
  limit: number,
): Promise<RequeueResult> {
  const q = qName(queueName);
  const xq = xqName(q);
  const model = await connection.ready();
  await requireQueue(model, q);
  const waiting = (await requireQueue(model, xq)).messageCount;
  const total = Math.min(limit, waiting);
  const getter = await openChannel(model);
  const publisher = await model.createConfirmChannel();
  publisher.on("error", () => {});
  let returned: string | undefined;
  publisher.on("return", (message: { fields: { routingKey: string } }) => {
    returned ??= message.fields.routingKey;
  });
  let moved = 0;
  try {
    while (moved < total) {
      const batch: GetMessage[] = [];
      while (batch.length < Math.min(REQUEUE_BATCH, total - moved)) {
        const message = await getter.get(xq, { noAck: false });
        if (message === false) {
          break;
        }
        batch.push(message);
      }
      if (batch.length === 0) {
        break;
      }
      try {
        for (const message of batch) {
          publishToQueue(
            publisher,
            origin(message, q),
            message.content,
            republishOptions(message.properties),
            () => {},
          );
        }
        await publisher.waitForConfirms();
        if (returned !== undefined) {
          throw new Error(`RabbitMQ returned a message: no queue "${returned}"`);
        }
      } catch (error) {
        getter.nackAll(true);
        throw new BrokerError(
          `cannot move the dead letters of "${xq}" back (${moved} moved; the others stay in "${xq}"): ${errorText(error)}`,
          { cause: error },
        );
      }
      for (const message of batch) {
        getter.ack(message);
      }
      moved += batch.length;
    }
  } finally {
    await publisher.close().catch(() => {});
    await getter.close().catch(() => {});
  }
  return { queue: q, moved };
}

/**
 * Decodes a Dramatiq message taken from `q.XQ`, with its `x-death` history. Its args, kwargs
 * and options are previews (nesting beyond 8 levels shown as `[…]`/`{…}`, at most 50 items per
 * level, strings cut at 2,000 characters), so listing or printing them never overflows the
 * stack; a body that cannot be decoded at all gives an entry saying why. Never throws.
 */
export function decodeDeadLetter(message: Pick<GetMessage, "content" | "properties">): DeadLetter {
  try {
    return decode(message);
  } catch (error) {
    // One bad entry never breaks a listing: it is shown with why it could not be read.
    return {
      messageId: undefined,
      actor: undefined,
      queueName: undefined,
      args: [],
      kwargs: {},
      options: {},
      error: undefined,
      errorAttempt: undefined,
      attempts: 1,
      deaths: [],
      body: `(cannot decode this dead letter: ${describeError(error, 200)})`,
    };
  }
}

/** Deepest nesting kept in a preview; deeper arrays and objects show as `[…]` and `{…}`. */
const PREVIEW_DEPTH = 8;
/** Most items of an array or entries of an object kept in a preview. */
const PREVIEW_ITEMS = 50;
/** Longest string kept in a preview. */
const PREVIEW_CHARS = 2_000;

// A copy of a JSON value bounded in depth and size, so printing it can never overflow the stack.
function preview(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    return value.length > PREVIEW_CHARS ? `${value.slice(0, PREVIEW_CHARS - 1)}…` : value;
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (Array.isArray(value)) {
    if (depth >= PREVIEW_DEPTH) {
      return "[…]";
    }
    const items = value.slice(0, PREVIEW_ITEMS).map((item) => preview(item, depth + 1));
    if (value.length > PREVIEW_ITEMS) {
      items.push(`… ${value.length - PREVIEW_ITEMS} more`);
    }
    return items;
  }
  return previewRecord(value as Record<string, unknown>, depth);
}

function previewRecord(value: Record<string, unknown>, depth: number): Record<string, unknown> | string {
  if (depth >= PREVIEW_DEPTH) {
    return "{…}";
  }
  const keys = Object.keys(value);
  const copy: Record<string, unknown> = {};
  for (const key of keys.slice(0, PREVIEW_ITEMS)) {
    // defineProperty: a "__proto__" key from JSON.parse stays a plain key.
    Object.defineProperty(copy, key, {
      value: preview(value[key], depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (keys.length > PREVIEW_ITEMS) {
    copy["…"] = `${keys.length - PREVIEW_ITEMS} more`;
  }
  return copy;
}

function decode(message: Pick<GetMessage, "content" | "properties">): DeadLetter {
  const deaths = xDeaths(message.properties);
  let decoded: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(message.content.toString("utf8"));
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      decoded = value as Record<string, unknown>;
    }
  } catch {
    // Not JSON: shown raw.
  }
  if (decoded === undefined) {
    return {
      messageId: stringOr(message.properties.messageId),
      actor: undefined,
      queueName: undefined,
      args: [],
      kwargs: {},
      options: {},
      error: undefined,
      errorAttempt: undefined,
      attempts: 1,
      deaths,
      body: message.content.toString("utf8").slice(0, 1_000),
    };
  }
  const options = isRecord(decoded.options) ? decoded.options : {};
  const error = lastLine(options.traceback);
  const retries =
    typeof options.retries === "number" && Number.isInteger(options.retries) && options.retries >= 0
      ? options.retries
      : 0;
  return {
    messageId: stringOr(decoded.message_id),
    actor: stringOr(decoded.actor_name),
    queueName: stringOr(decoded.queue_name),
    args: Array.isArray(decoded.args) ? (preview(decoded.args) as unknown[]) : [],
    kwargs: isRecord(decoded.kwargs) ? (previewRecord(decoded.kwargs, 0) as Record<string, unknown>) : {},
    options: previewRecord(options, 0) as Record<string, unknown>,
    error,
    // Retries writes each failed attempt's traceback on the retry it publishes, with its count.
    errorAttempt: error !== undefined && retries > 0 ? retries : undefined,
    attempts: retries + 1,
    deaths,
  };
}

/** Where a dead letter goes back: the queue of its family it died in (a delayed message to `q.DQ`). */
export function origin(message: GetMessage, q: string): string {
  const died = xDeaths(message.properties)
    .map((death) => death.queue)
    .reverse()
    .find((queue) => queue === q || queue === dqName(q));
  return died ?? q;
}

/**
 * The original properties, without the headers RabbitMQ manages (x-death, x-delivery-count…): a
 * message that had no other header (Dramatiq's) goes back with none.
 */
export function republishOptions(properties: MessageProperties): Options.Publish {
  const headers = Object.fromEntries(
    Object.entries((properties.headers ?? {}) as Record<string, unknown>).filter(
      ([key]) => !key.startsWith("x-"),
    ),
  );
  const options: Options.Publish = { persistent: true, mandatory: true, headers };
  for (const key of [
    "contentType",
    "contentEncoding",
    "priority",
    "messageId",
    "timestamp",
    "correlationId",
    "type",
    "appId",
  ] as const) {
    const value = properties[key];
    if (value !== undefined && value !== null) {
      (options as Record<string, unknown>)[key] = value;
    }
  }
  return options;
}

function xDeaths(properties: MessageProperties): Death[] {
  const raw = (properties.headers as Record<string, unknown> | undefined)?.["x-death"];
  if (!Array.isArray(raw)) {
    return [];
  }
  return raw.filter(isRecord).map((entry) => ({
    reason: String(entry.reason ?? "unknown"),
    queue: String(entry.queue ?? ""),
    count: Number(entry.count ?? 1),
    time: isoTime(entry.time),
  }));
}

function isoTime(value: unknown): string | undefined {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === "number" && Number.isFinite(value)) {
    // AMQP timestamps are seconds.
    return new Date(value < 1e11 ? value * 1_000 : value).toISOString();
  }
  if (isRecord(value) && typeof value.value === "number") {
    return isoTime(value.value);
  }
  return undefined;
}

function lastLine(traceback: unknown): string | undefined {
  if (typeof traceback !== "string") {
    return undefined;
  }
  const lines = traceback
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  // Python's traceback, and opsq's, end with the error; a bare JS stack (older opsq) starts with it.
  const last = lines.at(-1);
  return last === undefined || /^at /.test(last) ? lines[0] : last;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A channel whose errors are handled by whoever uses it (a closed channel rejects its calls). */
export async function openChannel(model: ChannelModel): Promise<Channel> {
  const channel = await model.createChannel();
  channel.on("error", () => {});
  return channel;
}

// queue.declare passive on a channel of its own (a 404 closes the channel); undefined when missing.
async function check(model: ChannelModel, name: string) {
  const channel = await openChannel(model);
  try {
    return await channel.checkQueue(name);
  } catch (error) {
    if ((error as { code?: number }).code === 404) {
      return undefined;
    }
    throw new BrokerError(`cannot inspect queue "${name}": ${errorText(error)}`, { cause: error });
  } finally {
    await channel.close().catch(() => {});
  }
}

/** `queue.declare` passive on `name`. @throws BrokerError when it does not exist */
export async function requireQueue(model: ChannelModel, name: string) {
  const reply = await check(model, name);
  if (reply === undefined) {
    throw new BrokerError(`queue "${name}" does not exist on RabbitMQ`);
  }
  return reply;
}
