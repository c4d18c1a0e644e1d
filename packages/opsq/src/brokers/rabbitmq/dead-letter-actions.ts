/**
 * Acting on one dead letter of `q.XQ` by its message id, and on the whole of `q.XQ`: read it
 * whole (body, headers), requeue it (confirmed publish to where it died, then ack), delete it,
 * or purge them all. A message is found by reading `q.XQ` with `basic.get` up to what it held
 * when called; every other message read is handed back (nack with requeue), untouched.
 *
 * @module
 */
import type { Channel, GetMessage } from "amqplib";
import { BrokerError } from "../../errors.js";
import { dqName, qName, xqName } from "../../queue-names.js";
import { errorText, type RabbitmqConnection } from "./connection.js";
import {
  type DeadLetter,
  decodeDeadLetter,
  openChannel,
  origin,
  republishOptions,
  requireQueue,
} from "./inspect.js";
import { publishToQueue } from "./publish-properties.js";

/** A dead letter with everything RabbitMQ holds of it. */
export interface DeadLetterDetail {
  /** The decoded message (previews of its arguments). */
  letter: DeadLetter;
  /** The whole body, as UTF-8 text. */
  body: string;
  /** Its AMQP headers (`x-death` included), as JSON-safe values. */
  headers: Record<string, unknown>;
  /** The whole `options.traceback`, when the body carries one. */
  traceback: string | undefined;
}

/** What can be done to one dead letter. */
export type DeadLetterAction = "requeue" | "delete";

/** Most messages of `q.XQ` read while looking for one. */
const MAX_SCAN = 10_000;

/** The dead letter of `queue` whose message id is `messageId`, or undefined; it stays in `q.XQ`. */
export async function findDeadLetter(
  connection: RabbitmqConnection,
  queue: string,
  messageId: string,
): Promise<DeadLetterDetail | undefined> {
  return scan(connection, queue, messageId, async (_channel, message) => detail(message));
}

/**
 * Requeues (to the queue it died in, body unchanged, confirmed before the ack) or deletes the
 * dead letter of `queue` whose message id is `messageId`.
 *
 * @returns false when no such message is in `q.XQ`
 */
export async function settleDeadLetter(
  connection: RabbitmqConnection,
  queue: string,
  messageId: string,
  action: DeadLetterAction,
): Promise<boolean> {
  const q = qName(queue);
  const done = await scan(connection, q, messageId, async (channel, message) => {
    if (action === "requeue") {
      const model = await connection.ready();
      const publisher = await model.createConfirmChannel();
      publisher.on("error", () => {});
      try {
        publishToQueue(
          publisher,
          origin(message, q),
          message.content,
          republishOptions(message.properties),
          () => {},
        );
        await publisher.waitForConfirms();
      } finally {
        await publisher.close().catch(() => {});
      }
    }
    channel.ack(message);
    return true;
  });
  return done === true;
}

/** Deletes every message of `q.XQ`. @returns how many were deleted */
export async function purgeDeadLetters(connection: RabbitmqConnection, queue: string): Promise<number> {
  const xq = xqName(queue);
  const model = await connection.ready();
  await requireQueue(model, xq);
  const channel = await openChannel(model);
  try {
    return (await channel.purgeQueue(xq)).messageCount;
  } catch (error) {
    throw new BrokerError(`cannot purge "${xq}": ${errorText(error)}`, { cause: error });
  } finally {
    await channel.close().catch(() => {});
  }
}

/** What {@link peekDelayed} saw in `q.DQ`. */
export interface DelayedPeek {
  /** Messages read (at most the limit). */
  read: number;
  /** The earliest `eta` among them (Unix ms), when any has one. */
  nextEtaMs: number | undefined;
}

/**
 * Reads up to `limit` messages of `q.DQ` and hands them all back, to tell when the next one is
 * due. Messages workers already hold until their eta are not in `q.DQ`, so not seen.
 */
export async function peekDelayed(
  connection: RabbitmqConnection,
  queue: string,
  limit: number,
): Promise<DelayedPeek> {
  const dq = dqName(qName(queue));
  const model = await connection.ready();
  const channel = await openChannel(model);
  let read = 0;
  let nextEtaMs: number | undefined;
  try {
    await channel.checkQueue(dq);
    while (read < limit) {
      const message = await channel.get(dq, { noAck: false });
      if (message === false) {
        break;
      }
      read += 1;
      const eta = etaOf(message);
      if (eta !== undefined && (nextEtaMs === undefined || eta < nextEtaMs)) {
        nextEtaMs = eta;
      }
    }
    return { read, nextEtaMs };
  } catch (error) {
    if ((error as { code?: number }).code === 404) {
      return { read: 0, nextEtaMs: undefined };
    }
    throw new BrokerError(`cannot read "${dq}": ${errorText(error)}`, { cause: error });
  } finally {
    if (read > 0) {
      channel.nackAll(true);
    }
    await channel.close().catch(() => {});
  }
}

// Reads q.XQ until the message with this id, calls `found` with it (it must ack it, or leave it to
// be handed back), and hands every other message back.
async function scan<T>(
  connection: RabbitmqConnection,
  queue: string,
  messageId: string,
  found: (channel: Channel, message: GetMessage) => Promise<T>,
): Promise<T | undefined> {
  const xq = xqName(queue);
  const model = await connection.ready();
  const waiting = Math.min(MAX_SCAN, (await requireQueue(model, xq)).messageCount);
  const channel = await openChannel(model);
  let taken = 0;
  try {
    while (taken < waiting) {
      const message = await channel.get(xq, { noAck: false });
      if (message === false) {
        return undefined;
      }
      taken += 1;
      if (idOf(message) === messageId) {
        return await found(channel, message);
      }
    }
    return undefined;
  } catch (error) {
    throw new BrokerError(`cannot read the dead letters of "${xq}": ${errorText(error)}`, { cause: error });
  } finally {
    if (taken > 0) {
      // Acked messages are settled already: nackAll hands back only the others.
      channel.nackAll(true);
    }
    await channel.close().catch(() => {});
  }
}

function idOf(message: GetMessage): string | undefined {
  const fromProperties = message.properties.messageId as unknown;
  if (typeof fromProperties === "string") {
    return fromProperties;
  }
  return decodeDeadLetter(message).messageId;
}

function etaOf(message: GetMessage): number | undefined {
  try {
    const eta = (JSON.parse(message.content.toString("utf8")) as { options?: { eta?: unknown } }).options
      ?.eta;
    return typeof eta === "number" && Number.isFinite(eta) ? eta : undefined;
  } catch {
    return undefined;
  }
}

function detail(message: GetMessage): DeadLetterDetail {
  const body = message.content.toString("utf8");
  let traceback: string | undefined;
  try {
    const value = (JSON.parse(body) as { options?: { traceback?: unknown } }).options?.traceback;
    traceback = typeof value === "string" ? value : undefined;
  } catch {
    traceback = undefined;
  }
  return {
    letter: decodeDeadLetter(message),
    body,
    headers: jsonSafe((message.properties.headers ?? {}) as Record<string, unknown>) as Record<
      string,
      unknown
    >,
    traceback,
  };
}

// Headers hold Dates, Buffers and AMQP-typed values: turned into what JSON shows.
function jsonSafe(value: unknown, depth = 0): unknown {
  if (depth > 8) {
    return "…";
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Buffer.isBuffer(value)) {
    return value.toString("utf8");
  }
  if (Array.isArray(value)) {
    return value.map((item) => jsonSafe(item, depth + 1));
  }
  if (value !== null && typeof value === "object") {
    // amqplib's typed field values: { "!": "timestamp", value: <seconds> }, { "!": "long", value }…
    const typed = value as { "!"?: unknown; value?: unknown };
    if (typed["!"] === "timestamp" && typeof typed.value === "number") {
      return new Date(typed.value * 1_000).toISOString();
    }
    if (typeof typed["!"] === "string" && "value" in typed) {
      return jsonSafe(typed.value, depth + 1);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonSafe(item, depth + 1)]));
  }
  return typeof value === "bigint" ? String(value) : value;
}
