/**
 * Passive `queue.declare`s on one long-lived channel, for callers that look at queues again
 * and again (the dashboard, every second): no channel opened and closed per look. A missing
 * queue (404) closes the channel, as AMQP does; the next look opens another. Looks run one at
 * a time, so a 404 never fails a look queued behind it.
 *
 * @module
 */
import type { Channel, Replies } from "amqplib";
import { BrokerError } from "../../errors.js";
import { errorText, type RabbitmqConnection } from "./connection.js";

/** Looks at queues through one reusable channel. */
export class QueueProbe {
  readonly #connection: RabbitmqConnection;
  #channel: Promise<Channel> | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  /** @param connection where the channel is opened */
  constructor(connection: RabbitmqConnection) {
    this.#connection = connection;
  }

  /** The queue's counts, or undefined when it does not exist. @throws BrokerError on any other failure */
  check(name: string): Promise<Replies.AssertQueue | undefined> {
    const look = this.#tail.then(() => this.#check(name));
    this.#tail = look.catch(() => {});
    return look;
  }

  /** Closes the channel. */
  async close(): Promise<void> {
    const channel = this.#channel;
    this.#channel = undefined;
    await (await channel?.catch(() => undefined))?.close().catch(() => {});
  }

  async #check(name: string): Promise<Replies.AssertQueue | undefined> {
    let opened = this.#channel;
    if (opened === undefined) {
      opened = this.#open();
      this.#channel = opened;
    }
    try {
      return await (await opened).checkQueue(name);
    } catch (error) {
      // The channel is closed now (a 404 closes it, and so does anything else that failed here).
      if (this.#channel === opened) {
        this.#channel = undefined;
      }
      if ((error as { code?: number }).code === 404) {
        return undefined;
      }
      throw new BrokerError(`cannot inspect queue "${name}": ${errorText(error)}`, { cause: error });
    }
  }

  async #open(): Promise<Channel> {
    const model = await this.#connection.ready();
    const channel = await model.createChannel();
    channel.on("error", () => {});
    channel.on("close", () => {
      void this.#channel?.then((current) => {
        if (current === channel) {
          this.#channel = undefined;
        }
      });
    });
    return channel;
  }
}
