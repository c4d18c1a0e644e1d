/**
 * Publishing with publisher confirms: every message is sent at once on one
 * confirm channel (pipelined, not one round trip each), and its promise settles
 * when RabbitMQ confirms it. Nacks, returns (`mandatory`: no such queue),
 * timeouts and a channel or connection lost before the confirm reject with
 * {@link PublishError}, so a message is never reported sent when it was not
 * confirmed. While disconnected, messages wait (in order) for the connection to
 * come back, within the confirm timeout. A nack also retires the channel (at most every 250 ms):
 * after the node leading a quorum queue dies, a channel opened before RabbitMQ knew the new leader
 * can nack every later publish to that queue (seen on RabbitMQ 3.10), while a fresh channel works.
 * As Dramatiq's, the properties carry no `headers` table.
 *
 * @module
 */
import type { Message as AmqpMessage, ConfirmChannel, Options } from "amqplib";
import {
  ConnectionClosedError,
  ConnectionFailedError,
  MessageRefusedError,
  PublishError,
  toError,
} from "../../errors.js";
import type { Logger } from "../../logger.js";
import { errorText, type RabbitmqConnection, sleep } from "./connection.js";
import { publishToQueue } from "./publish-properties.js";

interface Entry {
  readonly queue: string;
  readonly body: Buffer;
  readonly options: Options.Publish;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Set when RabbitMQ returned it as unroutable; its confirm then rejects. */
  returned: string | undefined;
  settled: boolean;
}

/** Least time between two channels retired because of a nack. */
const NACK_RETIRE_INTERVAL_MS = 250;

/** Publishes to the default exchange on a confirm channel. */
export class Publisher {
  readonly #connection: RabbitmqConnection;
  readonly #confirmTimeoutMs: number;
  readonly #logger: Logger;
  readonly #onUnroutable: (queue: string) => void;
  #channel: ConfirmChannel | undefined;
  #opening = false;
  /** Waiting for a channel or for 'drain', in publish order. */
  #backlog: Entry[] = [];
  /** Sent, waiting for their confirm. */
  readonly #unconfirmed = new Set<Entry>();
  #waitingForDrain = false;
  #closed = false;
  #sweeper: NodeJS.Timeout | undefined;
  #lastRetiredAt = 0;

  /**
   * @param connection the broker's connection
   * @param confirmTimeoutMs longest wait, from the call, for a confirm
   * @param logger for channel-level problems
   * @param onUnroutable told when RabbitMQ returns a message because its queue does not exist
   */
  constructor(
    connection: RabbitmqConnection,
    confirmTimeoutMs: number,
    logger: Logger,
    onUnroutable: (queue: string) => void,
  ) {
    this.#connection = connection;
    this.#confirmTimeoutMs = confirmTimeoutMs;
    this.#logger = logger;
    this.#onUnroutable = onUnroutable;
  }

  /**
   * Publishes `body` persistently to `queue` through the default exchange, with
   * `mandatory` set; resolves when RabbitMQ confirms it, rejects at `deadline`
   * (epoch ms; by default confirmTimeoutMs from now).
   */
  publish(queue: string, body: Buffer, priority?: number, deadline?: number): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ConnectionClosedError("the RabbitMQ broker is closed"));
    }
    const options: Options.Publish = { persistent: true, mandatory: true };
    if (priority !== undefined) {
      options.priority = priority;
    }
    return new Promise((resolve, reject) => {
      const entry: Entry = {
        queue,
        body,
        options,
        deadline: deadline ?? Date.now() + this.#confirmTimeoutMs,
        resolve,
        reject,
        returned: undefined,
        settled: false,
      };
      this.#backlog.push(entry);
      if (this.#channel !== undefined) {
        this.#flush();
      } else {
        this.#openChannel();
      }
      this.#startSweeper();
    });
  }

  /** Rejects everything not yet confirmed and stops publishing. */
  close(): void {
    this.#closed = true;
    const error = new PublishError("the RabbitMQ broker was closed before the message was sent");
    for (const entry of this.#backlog.splice(0)) {
      this.#settle(entry, error);
    }
    for (const entry of this.#unconfirmed) {
      this.#settle(
        entry,
        new PublishError("the RabbitMQ broker was closed before RabbitMQ confirmed the message"),
      );
    }
    clearInterval(this.#sweeper);
  }

  // Sends the backlog in order until it is empty, the channel asks to wait for 'drain', or it fails.
  #flush(): void {
    const channel = this.#channel;
    if (channel === undefined || this.#waitingForDrain) {
      return;
    }
    let sent = 0;
    while (sent < this.#backlog.length) {
      const status = this.#send(channel, this.#backlog[sent]!);
      if (status === "failed") {
        break;
      }
      sent++;
      if (status === "wait") {
        break;
      }
    }
    this.#backlog.splice(0, sent);
  }

  #send(channel: ConfirmChannel, entry: Entry): "sent" | "wait" | "failed" {
    let flowing: boolean;
    try {
      flowing = publishToQueue(channel, entry.queue, entry.body, entry.options, (error: unknown) =>
        this.#confirmed(entry, error),
      );
    } catch (error) {
      // The channel closed under us and nothing was sent: the entry waits for the next channel.
      this.#logger.debug({ err: error }, "publishing channel unusable; opening a new one");
      if (this.#channel === channel) {
        this.#channel = undefined;
      }
      this.#openChannel();
      return "failed";
    }
    this.#unconfirmed.add(entry);
    if (flowing) {
      return "sent";
    }
    this.#waitingForDrain = true;
    channel.once("drain", () => {
      if (this.#channel === channel) {
        this.#waitingForDrain = false;
        this.#flush();
      }
    });
    return "wait";
  }

  #confirmed(entry: Entry, error: unknown): void {
    this.#unconfirmed.delete(entry);
    if (error === null || error === undefined) {
      if (entry.returned !== undefined) {
        this.#settle(
          entry,
          new MessageRefusedError(
            `RabbitMQ returned the message: ${entry.returned} (no queue "${entry.queue}"; was it deleted?)`,
          ),
        );
      } else {
        this.#settle(entry);
      }
      return;
    }
    if (errorText(error) === "message nacked") {
      this.#settle(
        entry,
        new MessageRefusedError(`RabbitMQ refused (nacked) the message for queue "${entry.queue}"`),
      );
      this.#retireAfterNack();
      return;
    }
    // The channel closed; by the next microtask the connection has said whether it dropped too.
    queueMicrotask(() => this.#settle(entry, this.#lostError(error)));
  }

  // The next publishes go on a fresh channel; those still unconfirmed on this one fail as lost.
  #retireAfterNack(): void {
    const channel = this.#channel;
    const now = Date.now();
    if (channel === undefined || this.#closed || now - this.#lastRetiredAt < NACK_RETIRE_INTERVAL_MS) {
      return;
    }
    this.#lastRetiredAt = now;
    this.#logger.debug("RabbitMQ nacked a message; publishing on a fresh channel");
    this.#channel = undefined;
    this.#waitingForDrain = false;
    channel.close().catch(() => {});
    if (this.#backlog.length > 0) {
      this.#openChannel();
    }
  }

  #lostError(cause: unknown): PublishError {
    const reason = this.#closed
      ? "the RabbitMQ broker was closed"
      : this.#connection.isOpen
        ? "RabbitMQ closed the publishing channel"
        : "the connection to RabbitMQ was lost";
    return new PublishError(
      `${reason} before RabbitMQ confirmed the message; it may or may not have been delivered`,
      {
        cause: toError(cause),
      },
    );
  }

  #settle(entry: Entry, error?: Error): void {
    if (entry.settled) {
      return;
    }
    entry.settled = true;
    this.#unconfirmed.delete(entry);
    if (error === undefined) {
      entry.resolve();
    } else {
      entry.reject(error);
    }
  }

  #openChannel(): void {
    if (this.#opening || this.#channel !== undefined || this.#closed) {
      return;
    }
    this.#opening = true;
    void this.#openLoop();
  }

  // Until a channel takes the backlog. The flag is reset inside (synchronously at the exit),
  // so a publish arriving right after the loop gave up starts a new one.
  async #openLoop(): Promise<void> {
    try {
      while (this.#channel === undefined && this.#backlog.length > 0 && !this.#closed) {
        let channel: ConfirmChannel;
        try {
          const model = await this.#connection.ready();
          channel = await model.createConfirmChannel();
        } catch (error) {
          if (error instanceof ConnectionFailedError || error instanceof ConnectionClosedError) {
            for (const entry of this.#backlog.splice(0)) {
              this.#settle(entry, error);
            }
            return;
          }
          // The connection died between ready() and createConfirmChannel(): try again.
          await sleep(50);
          continue;
        }
        if (this.#closed) {
          await channel.close().catch(() => {});
          return;
        }
        this.#watch(channel);
        this.#channel = channel;
        this.#flush();
      }
    } finally {
      this.#opening = false;
    }
  }

  #watch(channel: ConfirmChannel): void {
    channel.on("error", (error: Error) => {
      this.#logger.warn({ reason: errorText(error) }, "RabbitMQ closed the publishing channel");
    });
    channel.on("return", (message: AmqpMessage) => this.#returned(message));
    channel.on("close", () => {
      if (this.#channel === channel) {
        this.#channel = undefined;
      }
      this.#waitingForDrain = false;
      if (this.#backlog.length > 0) {
        this.#openChannel();
      }
    });
  }

  // A return precedes the confirm of the same message: mark the oldest matching unconfirmed entry.
  #returned(message: AmqpMessage): void {
    const { routingKey, replyText } = message.fields as AmqpMessage["fields"] & { replyText?: string };
    for (const entry of this.#unconfirmed) {
      if (entry.returned === undefined && entry.queue === routingKey && entry.body.equals(message.content)) {
        entry.returned = replyText ?? "unroutable";
        this.#onUnroutable(entry.queue);
        return;
      }
    }
  }

  #startSweeper(): void {
    if (this.#sweeper !== undefined) {
      return;
    }
    const period = Math.max(20, Math.min(1_000, Math.floor(this.#confirmTimeoutMs / 4)));
    this.#sweeper = setInterval(() => this.#sweep(), period);
    this.#sweeper.unref();
  }

  #sweep(): void {
    const now = Date.now();
    const expired = (entry: Entry) => entry.deadline <= now;
    const timedOut = (entry: Entry, sent: boolean) =>
      new PublishError(
        sent
          ? `RabbitMQ did not confirm the message for queue "${entry.queue}" within ${this.#confirmTimeoutMs} ms; it may or may not have been delivered`
          : `could not publish to queue "${entry.queue}" within ${this.#confirmTimeoutMs} ms: ${
              this.#connection.isOpen
                ? "RabbitMQ is not taking messages (flow control or a resource alarm)"
                : `no connection to RabbitMQ at ${this.#connection.redactedUrl}`
            }`,
      );
    for (const entry of this.#unconfirmed) {
      if (expired(entry)) {
        this.#settle(entry, timedOut(entry, true));
      }
    }
    if (this.#backlog.some(expired)) {
      const kept: Entry[] = [];
      for (const entry of this.#backlog) {
        if (expired(entry)) {
          this.#settle(entry, timedOut(entry, false));
        } else {
          kept.push(entry);
        }
      }
      this.#backlog = kept;
    }
    if (this.#unconfirmed.size === 0 && this.#backlog.length === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
