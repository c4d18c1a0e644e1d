/**
 * An in-memory broker for tests: the same queues, delay queues and dead letters
 * as RabbitMQ, in one process, with `join()` so tests never sleep.
 *
 * @module
 */
import {
  Broker,
  type BrokerOptions,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type JoinOptions,
  type QueueCounts,
} from "../broker.js";
import { QueueJoinTimeoutError } from "../errors.js";
import { Message } from "../message.js";
import { dqName, qName, xqName } from "../queue-names.js";

/** A message at rest in a stub queue. */
interface Entry {
  readonly body: Uint8Array;
  readonly redelivered: boolean;
}

/** A dead-lettered message and why it was dead-lettered. */
export interface DeadLetter {
  /** The body as last published. */
  readonly body: Uint8Array;
  /** The reason the worker gave when nacking, if any. */
  readonly reason: Error | undefined;
}

interface StubConsumer {
  readonly prefetch: number;
  readonly onDelivery: (delivery: Delivery) => void;
  unacked: number;
  active: boolean;
}

/** A FIFO with O(1) shift, so a queue of 100,000 messages drains in linear time. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  unshift(item: T): void {
    if (this.#head > 0) {
      this.#items[--this.#head] = item;
    } else {
      this.#items.unshift(item);
    }
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) {
      return undefined;
    }
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

class StubQueue {
  readonly ready = new Fifo<Entry>();
  readonly consumers: StubConsumer[] = [];
  readonly deadLetters: DeadLetter[] = [];
  unacked = 0;
  next = 0;
  scheduled = false;
}

/**
 * In-memory broker. Publishing, consuming, delays (`.DQ`) and dead letters
 * (`.XQ`) behave as on RabbitMQ; nacked messages keep the worker's reason.
 */
export class StubBroker extends Broker {
  readonly #queues = new Map<string, StubQueue>();
  readonly #listeners = new Set<() => void>();

  /** @param options middleware and logger */
  constructor(options: BrokerOptions = {}) {
    super(options);
  }

  protected async publish(message: Message, body: Buffer): Promise<void> {
    this.#queue(message.queueName).ready.push({ body, redelivered: false });
    this.#schedule(message.queueName);
  }

  /** Publishes raw bytes to a queue, as a foreign or broken producer would. */
  publishRaw(queueName: string, body: Uint8Array | string): void {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    this.#queue(queueName).ready.push({ body: bytes, redelivered: false });
    this.#schedule(queueName);
  }

  async consume(
    queueName: string,
    options: ConsumeOptions,
    onDelivery: (delivery: Delivery) => void,
  ): Promise<Consumer> {
    const queue = this.#queue(queueName);
    const consumer: StubConsumer = { prefetch: options.prefetch, onDelivery, unacked: 0, active: true };
    queue.consumers.push(consumer);
    this.#schedule(queueName);
    return {
      cancel: async () => {
        consumer.active = false;
        const index = queue.consumers.indexOf(consumer);
        // Already removed (a second cancel, or close()): splice(-1) would drop another consumer.
        if (index >= 0) {
          queue.consumers.splice(index, 1);
        }
      },
    };
  }

  async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const names = [qName(queueName), dqName(queueName)];
    const xq = this.#queue(xqName(queueName));
    const deadBefore = xq.deadLetters.length;
    const drained = () => names.every((name) => this.#isEmpty(this.#queue(name)));
    const failure = () => (options.failFast ? xq.deadLetters[deadBefore] : undefined);
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const dead = failure();
        if (dead !== undefined || drained()) {
          this.#listeners.delete(check);
          clearTimeout(timer);
          if (dead !== undefined) {
            reject(dead.reason ?? new Error(`a message of "${queueName}" was dead-lettered`));
          } else {
            resolve();
          }
        }
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#listeners.delete(check);
          reject(new QueueJoinTimeoutError(queueName, options.timeoutMs!));
        }, options.timeoutMs);
      }
      this.#listeners.add(check);
      check();
    });
  }

  async flush(queueName: string): Promise<void> {
    for (const name of [qName(queueName), dqName(queueName), xqName(queueName)]) {
      const queue = this.#queue(name);
      queue.ready.clear();
      queue.deadLetters.length = 0;
    }
    this.#notify();
  }

  async getQueueCounts(queueName: string): Promise<QueueCounts> {
    return {
      ready: this.#queue(qName(queueName)).ready.length,
      delayed: this.#queue(dqName(queueName)).ready.length + this.#queue(dqName(queueName)).unacked,
      deadLettered: this.#queue(xqName(queueName)).deadLetters.length,
    };
  }

  /** Dead letters of a queue family, oldest first, with the reasons given when nacking. */
  deadLetters(queueName: string): readonly DeadLetter[] {
    return this.#queue(xqName(queueName)).deadLetters;
  }

  /** The decodable dead-lettered messages of a queue family. */
  deadLetteredMessages(queueName: string): Message[] {
    return this.deadLetters(queueName).flatMap((dead) => {
      try {
        return [Message.decode(dead.body)];
      } catch {
        return [];
      }
    });
  }

  async close(): Promise<void> {
    for (const queue of this.#queues.values()) {
      for (const consumer of queue.consumers) {
        consumer.active = false;
      }
      queue.consumers.length = 0;
    }
  }

  #queue(name: string): StubQueue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new StubQueue();
      this.#queues.set(name, queue);
    }
    return queue;
  }

  #isEmpty(queue: StubQueue): boolean {
    return queue.ready.length === 0 && queue.unacked === 0;
  }

  #schedule(queueName: string): void {
    const queue = this.#queue(queueName);
    if (!queue.scheduled) {
      queue.scheduled = true;
      queueMicrotask(() => {
        queue.scheduled = false;
        this.#dispatch(queueName, queue);
      });
    }
  }

  // Hands ready messages to consumers with room under their prefetch, round-robin.
  #dispatch(queueName: string, queue: StubQueue): void {
    while (queue.ready.length > 0) {
      const consumer = this.#nextConsumer(queue);
      if (consumer === undefined) {
        break;
      }
      const entry = queue.ready.shift()!;
      consumer.unacked++;
      queue.unacked++;
      consumer.onDelivery(this.#delivery(queueName, queue, consumer, entry));
    }
    this.#notify();
  }

  #nextConsumer(queue: StubQueue): StubConsumer | undefined {
    for (let i = 0; i < queue.consumers.length; i++) {
      const consumer = queue.consumers[(queue.next + i) % queue.consumers.length]!;
      if (consumer.active && consumer.unacked < consumer.prefetch) {
        queue.next = (queue.next + i + 1) % queue.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }

  #delivery(queueName: string, queue: StubQueue, consumer: StubConsumer, entry: Entry): Delivery {
    let settled = false;
    const settle = (after: () => void) => {
      if (settled) {
        throw new Error("delivery already settled");
      }
      settled = true;
      consumer.unacked--;
      queue.unacked--;
      after();
      this.#schedule(queueName);
    };
    return {
      queueName,
      body: entry.body,
      redelivered: entry.redelivered,
      stale: false,
      ack: () => settle(() => {}),
      nack: (reason) =>
        settle(() => this.#queue(xqName(queueName)).deadLetters.push({ body: entry.body, reason })),
      requeue: () => settle(() => queue.ready.unshift({ body: entry.body, redelivered: true })),
    };
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      listener();
    }
  }
}
