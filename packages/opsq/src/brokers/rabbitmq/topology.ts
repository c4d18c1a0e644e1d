/**
 * Queue topology on RabbitMQ, exactly as Python Dramatiq declares it: for each
 * canonical queue `q`, durable `q` and `q.DQ` dead-lettering to `q.XQ`, and a
 * durable `q.XQ` whose messages expire after 7 days. Families are declared
 * lazily, once per connection; counts and purges go through one shared channel.
 *
 * @module
 */
import type { Channel, ChannelModel } from "amqplib";
import { BrokerError, InequivalentQueueError, QueueRefusedError } from "../../errors.js";
import { dqName, isDelayQueue, qName, xqName } from "../../queue-names.js";
import { errorText, type RabbitmqConnection } from "./connection.js";

/** How long a dead letter stays in `q.XQ` (Dramatiq's 7 days). */
export const DEAD_LETTER_TTL_MS = 604_800_000;

/** The RabbitMQ queue type of a family: Dramatiq's `classic`, or replicated `quorum`. */
export type QueueType = "classic" | "quorum";

/** How a family is declared beyond Dramatiq's defaults. */
export interface TopologySettings {
  /** `x-max-priority` of `q` and `q.DQ` (classic only). */
  readonly maxPriority?: number | undefined;
  /** @default "classic" (no `x-queue-type` argument, exactly as Dramatiq) */
  readonly queueType?: QueueType | undefined;
  /** `x-delivery-limit` of `q` (quorum only). */
  readonly deliveryLimit?: number | undefined;
}

/**
 * The arguments `q` (or, for a `.DQ` name, `q.DQ`) is declared with. Classic: Dramatiq's exactly.
 * Quorum adds `x-queue-type`, and `x-delivery-limit` on `q` only: a delayed message in `q.DQ` is
 * handed back at every worker restart, which must not count towards dead-lettering it.
 */
export function queueArguments(
  queueName: string,
  maxPriority?: number,
  settings: Omit<TopologySettings, "maxPriority"> = {},
): Record<string, unknown> {
  const args: Record<string, unknown> = {
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": xqName(queueName),
  };
  if (maxPriority !== undefined) {
    args["x-max-priority"] = maxPriority;
  }
  if (settings.queueType === "quorum") {
    args["x-queue-type"] = "quorum";
    if (settings.deliveryLimit !== undefined && !isDelayQueue(queueName)) {
      args["x-delivery-limit"] = settings.deliveryLimit;
    }
  }
  return args;
}

/** The arguments `q.XQ` is declared with. */
export function deadLetterQueueArguments(queueType: QueueType = "classic"): Record<string, unknown> {
  const args: Record<string, unknown> = { "x-message-ttl": DEAD_LETTER_TTL_MS };
  if (queueType === "quorum") {
    args["x-queue-type"] = "quorum";
  }
  return args;
}

// amqplib puts the server's reply last: `… with message "PRECONDITION_FAILED - inequivalent arg …"`.
const SERVER_TEXT = /with message "(.*)"$/;

/** Declares queue families and reads or purges their queues. */
export class Topology {
  readonly #connection: RabbitmqConnection;
  readonly #settings: TopologySettings;
  #model: ChannelModel | undefined;
  #declared = new Set<string>();
  #declaring = new Map<string, Promise<void>>();
  #admin: Promise<Channel> | undefined;

  /**
   * @param connection where to declare
   * @param maxPriority adds `x-max-priority` to `q` and `q.DQ`
   * @param settings queue type and delivery limit (quorum)
   */
  constructor(
    connection: RabbitmqConnection,
    maxPriority: number | undefined,
    settings: Omit<TopologySettings, "maxPriority"> = {},
  ) {
    this.#connection = connection;
    this.#settings = { ...settings, maxPriority };
  }

  /** True when the family of `queueName` was declared on the current connection. */
  isDeclared(queueName: string): boolean {
    return this.#model === this.#connection.current && this.#declared.has(qName(queueName));
  }

  /**
   * Declares `q`, `q.DQ` and `q.XQ` for the family of `queueName`, once per connection.
   * @throws InequivalentQueueError when one exists with other arguments
   */
  async ensure(queueName: string): Promise<void> {
    const family = qName(queueName);
    await this.#onLiveConnection(async (model) => {
      if (this.#declared.has(family)) {
        return;
      }
      const pending = this.#declaring;
      let declaring = pending.get(family);
      if (declaring === undefined) {
        const settled = () => {
          if (pending.get(family) === declaring) {
            pending.delete(family);
          }
        };
        declaring = this.#declare(model, family).then(
          () => {
            settled();
            if (this.#model === model) {
              this.#declared.add(family);
            }
          },
          (error: unknown) => {
            settled();
            throw error;
          },
        );
        pending.set(family, declaring);
      }
      await declaring;
    });
  }

  /** Forgets that the family of `queueName` is declared (it was deleted), so the next use declares it again. */
  forget(queueName: string): void {
    this.#declared.delete(qName(queueName));
  }

  /** Ready messages in a queue (RabbitMQ does not count unacked ones here). */
  async messageCount(queueName: string): Promise<number> {
    const reply = await this.#withAdmin((channel) => channel.checkQueue(queueName));
    return reply.messageCount;
  }

  /** Drops the ready messages of a queue. */
  async purge(queueName: string): Promise<void> {
    await this.#withAdmin((channel) => channel.purgeQueue(queueName));
  }

  // Runs `operation` on the open connection; when that connection drops meanwhile, runs it again on
  // the recovered one, so an outage delays queue operations instead of failing them.
  async #onLiveConnection<T>(operation: (model: ChannelModel) => Promise<T>): Promise<T> {
    for (;;) {
      const model = await this.#connection.ready();
      this.#use(model);
      try {
        return await operation(model);
      } catch (error) {
        if (this.#connection.isClosed || this.#connection.current === model) {
          throw error;
        }
      }
    }
  }

  // Caches are per connection: after a reconnection, everything is declared again.
  #use(model: ChannelModel): void {
    if (this.#model !== model) {
      this.#model = model;
      this.#declared = new Set();
      this.#declaring = new Map();
      this.#admin = undefined;
    }
  }

  // A 406 closes the channel it happened on, so each family is declared on a channel of its own.
  async #declare(model: ChannelModel, family: string): Promise<void> {
    const channel = await model.createChannel();
    channel.on("error", () => {});
    try {
      const { maxPriority, queueType } = this.#settings;
      await this.#declareOne(channel, family, queueArguments(family, maxPriority, this.#settings));
      await this.#declareOne(
        channel,
        dqName(family),
        queueArguments(dqName(family), maxPriority, this.#settings),
      );
      await this.#declareOne(channel, xqName(family), deadLetterQueueArguments(queueType));
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async #declareOne(channel: Channel, name: string, args: Record<string, unknown>): Promise<void> {
    try {
      await channel.assertQueue(name, {
        durable: true,
        exclusive: false,
        autoDelete: false,
        arguments: args,
      });
    } catch (error) {
      const text = errorText(error);
      const serverText = SERVER_TEXT.exec(text)?.[1] ?? text;
      const code = (error as { code?: number }).code;
      const quorum = this.#settings.queueType === "quorum";
      // Quorum: a 406 other than "inequivalent arg" (or another server error) means RabbitMQ cannot make one.
      if (quorum && code !== undefined && !(code === 406 && /inequivalent arg/.test(serverText))) {
        throw new QueueRefusedError(
          `RabbitMQ refused to declare quorum queue "${name}" with ${JSON.stringify(args)}: "${serverText}"; quorum queues need RabbitMQ 3.8+ with the quorum_queue feature flag enabled (or use queueType "classic")`,
          { cause: error },
        );
      }
      if (code === 406) {
        throw new InequivalentQueueError(
          `queue "${name}" already exists with other arguments: opsq declares ${JSON.stringify(args)} but RabbitMQ says "${serverText}"; use the same settings (e.g. maxPriority, queueType) as the queue's other users, or delete the queue if it holds nothing you need`,
          { cause: error },
        );
      }
      // A server reply code means RabbitMQ refused the declaration; without one, the channel was lost.
      const ErrorClass = code === undefined ? BrokerError : QueueRefusedError;
      throw new ErrorClass(`cannot declare queue "${name}": ${serverText}`, { cause: error });
    }
  }

  async #withAdmin<T>(operation: (channel: Channel) => Promise<T>): Promise<T> {
    return this.#onLiveConnection(async (model) => {
      this.#admin ??= this.#openAdmin(model);
      const channel = await this.#admin;
      try {
        return await operation(channel);
      } catch (error) {
        throw new BrokerError(`RabbitMQ operation failed: ${errorText(error)}`, { cause: error });
      }
    });
  }

  // The shared channel for counts and purges, forgotten when it closes (e.g. after a 404).
  #openAdmin(model: ChannelModel): Promise<Channel> {
    const opening: Promise<Channel> = model.createChannel().then((channel) => {
      channel.on("error", () => {});
      channel.on("close", () => {
        if (this.#admin === opening) {
          this.#admin = undefined;
        }
      });
      return channel;
    });
    opening.catch(() => {
      if (this.#admin === opening) {
        this.#admin = undefined;
      }
    });
    return opening;
  }
}
