/**
 * One delivery of a RabbitMQ subscription, settled through its consumer.
 *
 * A class rather than an object literal on purpose: a literal with a getter
 * (`stale`) built per message made V8 keep most deliveries alive through
 * young-generation collections, so they were promoted and left to full
 * collections; a drain spent about three times as long in GC.
 *
 * @module
 */
import type { Delivery } from "../../broker.js";

/** What a delivery needs of its subscription: whether its channel is still open. */
export interface ChannelState {
  /** False once the channel closed: RabbitMQ has put the delivery back in its queue. */
  readonly open: boolean;
}

/** Settles deliveries on the wire; `requeue` is undefined for an ack. */
export interface Settler<S extends ChannelState> {
  settle(delivery: RabbitmqDelivery<S>, requeue: boolean | undefined): void;
}

/** A delivery of subscription `S`, to be settled exactly once. */
export class RabbitmqDelivery<S extends ChannelState> implements Delivery {
  /** The queue it came from (`q` or `q.DQ`). */
  readonly queueName: string;
  /** The raw body. */
  readonly body: Buffer;
  /** True when RabbitMQ delivered it before. */
  readonly redelivered: boolean;
  /** Its delivery tag, which belongs to its channel. */
  readonly tag: number;
  /** The subscription (channel) it came on. */
  readonly subscription: S;
  readonly #settler: Settler<S>;
  #settled = false;

  /**
   * @param settler the consumer that settles it
   * @param subscription the channel it came on
   * @param queueName the queue it came from
   * @param fields its body, delivery tag and redelivered flag
   */
  constructor(
    settler: Settler<S>,
    subscription: S,
    queueName: string,
    fields: { body: Buffer; tag: number; redelivered: boolean },
  ) {
    this.#settler = settler;
    this.subscription = subscription;
    this.queueName = queueName;
    this.body = fields.body;
    this.tag = fields.tag;
    this.redelivered = fields.redelivered;
  }

  /** True once its channel closed: it can no longer be settled, and RabbitMQ will redeliver it. */
  get stale(): boolean {
    return !this.subscription.open;
  }

  /** True once acked, nacked or requeued. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Removes it from the queue (the ack may wait a few ms to go out with others). */
  ack(): void {
    this.#settle(undefined);
  }

  /** Dead-letters it (RabbitMQ routes it to `q.XQ`). */
  nack(): void {
    this.#settle(false);
  }

  /** Hands it back to the queue. */
  requeue(): void {
    this.#settle(true);
  }

  #settle(requeue: boolean | undefined): void {
    if (this.#settled) {
      throw new Error("delivery already settled");
    }
    this.#settled = true;
    this.#settler.settle(this, requeue);
  }
}
