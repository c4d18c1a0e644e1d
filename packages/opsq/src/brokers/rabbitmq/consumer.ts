/**
 * A subscription to one queue, on a channel of its own (prefetch is per
 * channel), with manual acks. When its channel or the connection is lost, it
 * subscribes again by itself with the same callback, so a worker resumes
 * without knowing. Deliveries of a channel that closed are settled as no-ops:
 * delivery tags belong to their channel, and RabbitMQ redelivers them anyway.
 *
 * Acks are coalesced: they go out together once half the prefetch has been
 * acked or {@link ACK_DELAY_MS} after the first, whichever comes first, as one
 * `basic.ack` with `multiple` for the oldest run of acked deliveries and one
 * each for the others. Each ack frame is a socket write (on loopback, RabbitMQ's
 * receive path runs inside it), so fewer frames leave more CPU to the handlers
 * and to RabbitMQ. Nacks and requeues go out at once.
 *
 * @module
 */
import type { Channel, ConsumeMessage } from "amqplib";
import type { Consumer, Delivery } from "../../broker.js";
import type { Logger } from "../../logger.js";
import { AckWindow } from "./ack-window.js";
import {
  errorText,
  type RabbitmqConnection,
  type ReconnectOptions,
  reconnectDelay,
  sleep,
} from "./connection.js";
import { RabbitmqDelivery, type Settler } from "./delivery.js";
import type { Topology } from "./topology.js";

/** The longest an ack waits for others to go out with it. */
const ACK_DELAY_MS = 5;

/** AMQP's prefetch count is a 16-bit number. */
const MAX_PREFETCH = 65_535;

/** What a consumer shares with its broker. */
export interface ConsumerContext {
  /** Where channels are opened; waits through outages. */
  readonly connection: RabbitmqConnection;
  /** Declares the queue family before each (re)subscription. */
  readonly topology: Topology;
  /** The broker's logger. */
  readonly logger: Logger;
  /** Backoff between failed re-subscriptions. */
  readonly reconnect: Required<ReconnectOptions>;
  /** Called once the consumer is cancelled and its last delivery settled (or it was closed). */
  readonly onDone: (consumer: RabbitmqConsumer) => void;
}

// One channel's subscription; `unsettled` counts its deliveries not yet settled.
interface Subscription {
  readonly channel: Channel;
  open: boolean;
  consumerTag: string | undefined;
  unsettled: number;
  /** Deliveries not yet settled on the wire, and the acks waiting to go out. */
  readonly acks: AckWindow;
  /** The pending flush of {@link Subscription.acks}, if one is scheduled. */
  flushTimer: NodeJS.Timeout | undefined;
  /** Flushes this subscription's acks (one function per channel, not one per batch). */
  readonly flushLater: () => void;
  /** Sends one ack frame on this channel. */
  readonly sendAck: (tag: number, multiple: boolean) => void;
}

// What amqplib's ack() reads of a message.
const tagOnly = (deliveryTag: number) => ({ fields: { deliveryTag } }) as ConsumeMessage;

/** A running subscription to `queueName`. */
export class RabbitmqConsumer implements Consumer {
  /** The queue consumed (`q` or `q.DQ`). */
  readonly queueName: string;
  readonly #prefetch: number;
  /** Acks that go out at once, without waiting for {@link ACK_DELAY_MS}. */
  readonly #ackBatch: number;
  readonly #onDelivery: (delivery: Delivery) => void;
  readonly #context: ConsumerContext;
  readonly #settler: Settler<Subscription> = {
    settle: (delivery, requeue) => this.#settle(delivery, requeue),
  };
  #current: Subscription | undefined;
  #cancelled = false;
  #closing: Promise<void> | undefined;
  #closed = false;
  #resubscribing = false;

  /**
   * @param queueName the queue to consume
   * @param prefetch unsettled deliveries RabbitMQ may hand out at once
   * @param onDelivery called for each delivery
   * @param context the broker's connection, topology and logger
   */
  constructor(
    queueName: string,
    prefetch: number,
    onDelivery: (delivery: Delivery) => void,
    context: ConsumerContext,
  ) {
    this.queueName = queueName;
    this.#prefetch = Math.max(1, Math.min(MAX_PREFETCH, Math.floor(prefetch)));
    this.#ackBatch = Math.max(1, Math.floor(this.#prefetch / 2));
    this.#onDelivery = onDelivery;
    this.#context = context;
  }

  /** Deliveries handed out on the live channel and not settled yet. */
  get unsettled(): number {
    return this.#current?.open ? this.#current.unsettled : 0;
  }

  /** Subscribes for the first time; errors (unreachable, inequivalent queue…) reach the caller. */
  async start(): Promise<void> {
    await this.#subscribe();
  }

  /** Stops new deliveries (basic.cancel); the channel closes once the last one is settled. */
  async cancel(): Promise<void> {
    if (this.#cancelled) {
      return;
    }
    this.#cancelled = true;
    const subscription = this.#current;
    if (subscription === undefined || !subscription.open) {
      this.#context.onDone(this);
      return;
    }
    if (subscription.consumerTag !== undefined) {
      try {
        await subscription.channel.cancel(subscription.consumerTag);
      } catch (error) {
        this.#context.logger.debug(
          { queue: this.queueName, reason: errorText(error) },
          "basic.cancel failed",
        );
      }
    }
    this.#closeIfDone(subscription);
  }

  /** Closes the channel at once; unsettled deliveries go back to the queue. */
  async close(): Promise<void> {
    await this.#closing;
    this.#closed = true;
    this.#cancelled = true;
    const subscription = this.#current;
    this.#current = undefined;
    if (subscription?.open) {
      this.#flushAcks(subscription);
      subscription.open = false;
      await subscription.channel.close().catch(() => {});
    }
  }

  async #subscribe(): Promise<void> {
    await this.#context.topology.ensure(this.queueName);
    const model = await this.#context.connection.ready();
    const channel = await model.createChannel();
    const subscription: Subscription = {
      channel,
      open: true,
      consumerTag: undefined,
      unsettled: 0,
      acks: new AckWindow(),
      flushTimer: undefined,
      flushLater: () => this.#flushAcks(subscription),
      sendAck: (tag, multiple) => channel.ack(tagOnly(tag), multiple),
    };
    channel.on("error", (error: Error) => {
      this.#context.logger.warn(
        { queue: this.queueName, reason: errorText(error) },
        "RabbitMQ closed a consumer channel",
      );
    });
    channel.on("close", () => this.#lost(subscription));
    try {
      await channel.prefetch(this.#prefetch);
      const { consumerTag } = await channel.consume(
        this.queueName,
        (message) => this.#receive(subscription, message),
        { noAck: false },
      );
      subscription.consumerTag = consumerTag;
    } catch (error) {
      subscription.open = false;
      await channel.close().catch(() => {});
      throw error;
    }
    if (!subscription.open) {
      throw new Error(`the channel closed while subscribing to "${this.queueName}"`);
    }
    if (this.#cancelled) {
      subscription.open = false;
      await channel.close().catch(() => {});
      return;
    }
    this.#current = subscription;
  }

  #receive(subscription: Subscription, message: ConsumeMessage | null): void {
    if (message === null) {
      // RabbitMQ cancelled the consumer (e.g. the queue was deleted): start over on a new channel.
      this.#context.logger.warn(
        { queue: this.queueName },
        "RabbitMQ cancelled a consumer; subscribing again",
      );
      this.#context.topology.forget(this.queueName);
      void subscription.channel.close().catch(() => {});
      return;
    }
    subscription.unsettled++;
    const tag: number = message.fields.deliveryTag;
    subscription.acks.delivered(tag);
    const delivery = new RabbitmqDelivery(this.#settler, subscription, this.queueName, {
      body: message.content,
      tag,
      redelivered: message.fields.redelivered,
    });
    try {
      this.#onDelivery(delivery);
    } catch (error) {
      this.#context.logger.error(
        { err: error, queue: this.queueName },
        "delivery handler failed; requeueing",
      );
      if (!delivery.settled) {
        delivery.requeue();
      }
    }
  }

  // Acks wait for the flush; a nack or requeue goes out at once (and leaves the run of acks).
  #settle(delivery: RabbitmqDelivery<Subscription>, requeue: boolean | undefined): void {
    const { subscription, tag } = delivery;
    if (!subscription.open) {
      return; // its channel is gone: RabbitMQ has put it back in the queue
    }
    subscription.unsettled--;
    if (requeue === undefined) {
      const pending = subscription.acks.acked(tag);
      if (pending >= this.#ackBatch) {
        this.#flushAcks(subscription);
      } else if (pending === 1) {
        subscription.flushTimer = setTimeout(subscription.flushLater, ACK_DELAY_MS);
      }
    } else {
      subscription.acks.settledElsewhere(tag);
      try {
        subscription.channel.nack(tagOnly(tag), false, requeue);
      } catch (error) {
        this.#context.logger.debug(
          { reason: errorText(error) },
          "could not settle a delivery; it will be redelivered",
        );
      }
    }
    this.#closeIfDone(subscription);
  }

  // Sends the acks made since the last flush (see AckWindow); dropped when the channel is gone.
  #flushAcks(subscription: Subscription): void {
    if (subscription.flushTimer !== undefined) {
      clearTimeout(subscription.flushTimer);
      subscription.flushTimer = undefined;
    }
    if (!subscription.open) {
      subscription.acks.clear();
      return;
    }
    try {
      subscription.acks.flush(subscription.sendAck);
    } catch (error) {
      this.#context.logger.debug(
        { reason: errorText(error) },
        "could not ack deliveries; they will be redelivered",
      );
    }
  }

  #closeIfDone(subscription: Subscription): void {
    if (this.#cancelled && subscription.unsettled === 0 && subscription.open) {
      this.#flushAcks(subscription);
      subscription.open = false;
      // The broker must not close the connection before this channel's last acks are flushed:
      // it drops the consumer from its list only once the channel is closed, and close() waits for it.
      this.#closing = subscription.channel
        .close()
        .catch(() => {})
        .then(() => this.#context.onDone(this));
    }
  }

  #lost(subscription: Subscription): void {
    const wasOpen = subscription.open;
    subscription.open = false;
    this.#flushAcks(subscription); // drops the unsent acks: RabbitMQ redelivers those deliveries
    if (this.#current !== subscription) {
      return; // not live yet: whoever was subscribing gets the error
    }
    this.#current = undefined;
    if (!wasOpen || this.#closed) {
      return;
    }
    if (this.#cancelled) {
      this.#context.onDone(this);
      return;
    }
    // Deferred: when the whole connection dropped, it says so right after its channels closed.
    setImmediate(() => void this.#resubscribe());
  }

  // Tries again with backoff until subscribed, cancelled or closed; waits through connection outages.
  async #resubscribe(): Promise<void> {
    if (this.#resubscribing) {
      return;
    }
    this.#resubscribing = true;
    let attempt = 0;
    try {
      while (!this.#cancelled && !this.#closed && !this.#context.connection.isClosed) {
        try {
          await this.#subscribe();
          return;
        } catch (error) {
          attempt++;
          if ((error as { code?: number }).code === 404) {
            this.#context.topology.forget(this.queueName);
          }
          // While the connection is down, failures are expected and the connection logs the outage.
          const level = this.#context.connection.isOpen ? "warn" : "debug";
          this.#context.logger[level](
            { queue: this.queueName, attempt, reason: errorText(error) },
            "could not subscribe again; retrying",
          );
          await sleep(reconnectDelay(attempt, this.#context.reconnect));
        }
      }
    } finally {
      this.#resubscribing = false;
    }
  }
}
