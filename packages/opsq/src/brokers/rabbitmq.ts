/**
 * The RabbitMQ broker, wire- and topology-compatible with Python Dramatiq:
 * lazy connection (amqplib is imported on first use), queues declared on first
 * use, confirmed and pipelined publishing, one channel per consumer, and
 * automatic recovery of the connection, its consumers and its topology.
 * Importing this module makes `RabbitmqBroker` the default global broker.
 *
 * @module
 */
import type { SocketOptions } from "amqplib";
import {
  Broker,
  type BrokerOptions,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type JoinOptions,
  type QueueCounts,
  setDefaultBrokerFactory,
} from "../broker.js";
import {
  BrokerError,
  MessageRefusedError,
  PublishError,
  QueueJoinTimeoutError,
  QueueRefusedError,
} from "../errors.js";
import type { Logger } from "../logger.js";
import type { Message } from "../message.js";
import { dqName, isValidName, qName, xqName } from "../queue-names.js";
import { resolveBrokerUrls } from "./rabbitmq/broker-urls.js";
import { RabbitmqConnection, type ReconnectOptions, sleep } from "./rabbitmq/connection.js";
import { RabbitmqConsumer } from "./rabbitmq/consumer.js";
import {
  type DeadLetter,
  inspectQueue,
  type QueueInspection,
  type RequeueResult,
  readDeadLetters,
  requeueDeadLetters,
} from "./rabbitmq/inspect.js";
import { Publisher } from "./rabbitmq/publisher.js";
import { resolveQueueSettings } from "./rabbitmq/queue-settings.js";
import { type QueueType, Topology } from "./rabbitmq/topology.js";

export type { ReconnectOptions } from "./rabbitmq/connection.js";
export type { DeadLetter, QueueInspection, RequeueResult } from "./rabbitmq/inspect.js";
export type { QueueType } from "./rabbitmq/topology.js";

/** Options of {@link RabbitmqBroker}. */
export interface RabbitmqBrokerOptions extends BrokerOptions {
  /**
   * AMQP URL (`amqp://` or `amqps://`) of one node.
   * @default the first of `urls`, `RABBITMQ_URLS`, `RABBITMQ_URL`, "amqp://guest:guest@localhost:5672"
   */
  url?: string;
  /**
   * AMQP URLs of several nodes of one cluster (takes precedence over `url`). Each connection
   * attempt tries them in a shuffled order; when the connected node is lost, the connection, its
   * consumers and its topology recover on a live node. Without `urls` and `url`, the
   * comma-separated `RABBITMQ_URLS`, else `RABBITMQ_URL`, is used.
   */
  urls?: readonly string[];
  /**
   * Declares `q` and `q.DQ` with `x-max-priority` and enables `brokerPriority`.
   * Must match every other declarer of the queues (Python workers included).
   */
  maxPriority?: number;
  /**
   * `"quorum"` declares `q`, `q.DQ` and `q.XQ` as replicated quorum queues (`x-queue-type: quorum`);
   * `"classic"` declares Dramatiq's exact topology. Cannot be combined with `maxPriority`.
   * Must match every other declarer of the queues (Python workers included).
   * @default process.env.OPSQ_QUEUE_TYPE ?? "classic"
   */
  queueType?: QueueType;
  /**
   * Quorum only: `x-delivery-limit` of `q`, so RabbitMQ dead-letters (to `q.XQ`) a message
   * delivered more than this many times over (e.g. one that keeps crashing its worker).
   * @default process.env.OPSQ_DELIVERY_LIMIT, else no limit
   */
  deliveryLimit?: number;
  /** AMQP heartbeat period, unless the URL sets `heartbeat`. @default 30 */
  heartbeatSeconds?: number;
  /** Longest wait, from `send()`, for RabbitMQ to confirm a message (including an outage). @default 30000 */
  confirmTimeoutMs?: number;
  /** Socket and TLS options for amqplib (`ca`, `cert`, `key`, `servername`, `timeout`…). */
  socketOptions?: SocketOptions;
  /** Connection name shown by RabbitMQ (`rabbitmqctl list_connections client_properties`). @default "opsq" */
  connectionName?: string;
  /** Backoff between reconnection attempts once connected. */
  reconnect?: ReconnectOptions;
}

/** How often `join()` looks at the queues. */
const JOIN_POLL_MS = 50;

/**
 * A broker on RabbitMQ. The constructor does no I/O; the connection opens on
 * {@link RabbitmqBroker.connect} or first use, and comes back by itself after
 * a server restart or a dropped connection.
 *
 * @example
 * ```ts
 * const broker = new RabbitmqBroker({ url: "amqp://guest:guest@localhost:5672", maxPriority: 10 });
 * setBroker(broker);
 * await broker.connect(); // fails fast with ConnectionFailedError when unreachable
 * ```
 */
export class RabbitmqBroker extends Broker {
  /** The AMQP URL with its password replaced by `***` (with several nodes, all of them, comma-separated). */
  readonly url: string;
  /** The AMQP URL of every node, each with its password replaced by `***`. */
  readonly urls: readonly string[];
  /** The `x-max-priority` of the queues, when set. */
  readonly maxPriority: number | undefined;
  /** How the queues are declared: Dramatiq's classic queues, or quorum queues. */
  readonly queueType: QueueType;
  /** The `x-delivery-limit` of quorum queues, when set. */
  readonly deliveryLimit: number | undefined;
  readonly #connection: RabbitmqConnection;
  readonly #topology: Topology;
  readonly #publisher: Publisher;
  readonly #consumers = new Set<RabbitmqConsumer>();
  readonly #reconnect: Required<ReconnectOptions>;
  readonly #log: Logger;
  readonly #confirmTimeoutMs: number;

  /** @param options URL, priorities, timeouts, TLS, middleware and logger */
  constructor(options: RabbitmqBrokerOptions = {}) {
    super(options);
    const queues = resolveQueueSettings(options, process.env);
    this.maxPriority = queues.maxPriority;
    this.queueType = queues.queueType;
    this.deliveryLimit = queues.deliveryLimit;
    this.#log = this.logger.child({ component: "rabbitmq" });
    this.#reconnect = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
    };
    this.#connection = new RabbitmqConnection({
      urls: resolveBrokerUrls({ urls: options.urls, url: options.url, env: process.env }),
      heartbeatSeconds: options.heartbeatSeconds ?? 30,
      socketOptions: options.socketOptions ?? {},
      connectionName: options.connectionName ?? "opsq",
      reconnect: this.#reconnect,
      logger: this.#log,
    });
    this.urls = this.#connection.redactedUrls;
    this.url = this.urls.join(",");
    this.#topology = new Topology(this.#connection, this.maxPriority, {
      queueType: this.queueType,
      deliveryLimit: this.deliveryLimit,
    });
    // A returned message means its queue was deleted: declare it again on the next send.
    this.#confirmTimeoutMs = options.confirmTimeoutMs ?? 30_000;
    this.#publisher = new Publisher(this.#connection, this.#confirmTimeoutMs, this.#log, (queue) =>
      this.#topology.forget(queue),
    );
  }

  /**
   * Opens the connection now, so that start-up fails early.
   * @throws ConnectionFailedError with the URL (password redacted) when RabbitMQ is unreachable
   */
  override async connect(): Promise<void> {
    await this.#connection.ready();
  }

  /** Declares the queue family (`q`, `q.DQ`, `q.XQ`) on RabbitMQ now rather than on first use. */
  async declareQueueOnServer(queueName: string): Promise<void> {
    await this.#topology.ensure(queueName);
  }

  protected publish(message: Message, body: Buffer): Promise<void> {
    const wirePriority = message.options.broker_priority;
    const priority = typeof wirePriority === "number" ? wirePriority : undefined;
    if (priority !== undefined && (!Number.isInteger(priority) || priority < 0 || priority > 255)) {
      return Promise.reject(
        new MessageRefusedError(`broker_priority must be a whole number from 0 to 255, got ${priority}`),
      );
    }
    if (this.#topology.isDeclared(message.queueName)) {
      return this.#publisher.publish(message.queueName, body, priority);
    }
    // An empty name would declare a server-named queue; RabbitMQ refuses others: never declare them.
    if (!isValidName(message.queueName)) {
      return Promise.reject(
        new MessageRefusedError(
          `cannot publish to queue ${JSON.stringify(message.queueName)}: not a valid queue name`,
        ),
      );
    }
    // The wait to (re)connect and declare the queue is part of the confirm budget, so `send()`
    // settles within confirmTimeoutMs even while RabbitMQ is unreachable.
    const deadline = Date.now() + this.#confirmTimeoutMs;
    return this.#declareBefore(message.queueName, deadline).then(
      () => this.#publisher.publish(message.queueName, body, priority, deadline),
      (error: unknown) => {
        if (error instanceof QueueRefusedError) {
          throw new MessageRefusedError(`cannot publish to queue "${message.queueName}": ${error.message}`, {
            cause: error,
          });
        }
        throw error;
      },
    );
  }

  // Declares the family of `queueName`, or rejects with a PublishError at `deadline`.
  #declareBefore(queueName: string, deadline: number): Promise<void> {
    const declaring = this.#topology.ensure(queueName);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const why = this.#connection.isOpen
          ? "RabbitMQ did not answer the queue declaration"
          : `no connection to RabbitMQ at ${this.#connection.redactedUrl}`;
        reject(
          new PublishError(
            `could not publish to queue "${queueName}" within ${this.#confirmTimeoutMs} ms: ${why}; the message was not sent`,
          ),
        );
      }, deadline - Date.now());
    });
    // Left running after the deadline, the declaration still finishes (or fails) quietly.
    declaring.catch(() => {});
    return Promise.race([declaring, expired]).finally(() => clearTimeout(timer));
  }

  async consume(
    queueName: string,
    options: ConsumeOptions,
    onDelivery: (delivery: Delivery) => void,
  ): Promise<Consumer> {
    const consumer = new RabbitmqConsumer(queueName, options.prefetch, onDelivery, {
      connection: this.#connection,
      topology: this.#topology,
      logger: this.#log,
      reconnect: this.#reconnect,
      onDone: (done) => this.#consumers.delete(done),
    });
    await consumer.start();
    this.#consumers.add(consumer);
    return consumer;
  }

  /**
   * Waits until `q` and `q.DQ` hold no ready message and this broker's consumers
   * hold no unsettled delivery of them (seen twice in a row). Deliveries held
   * by consumers in other processes are not visible without the management API.
   */
  async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const q = qName(queueName);
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    await this.#topology.ensure(q);
    const deadBefore = options.failFast ? await this.#topology.messageCount(xqName(q)) : 0;
    let idleChecks = 0;
    for (;;) {
      const [ready, delayed] = await Promise.all([
        this.#topology.messageCount(q),
        this.#topology.messageCount(dqName(q)),
      ]);
      if (options.failFast && (await this.#topology.messageCount(xqName(q))) > deadBefore) {
        throw new BrokerError(`a message of queue "${q}" was dead-lettered while joining it`);
      }
      const idle = ready + delayed + this.#unsettled(q) + this.#unsettled(dqName(q)) === 0;
      idleChecks = idle ? idleChecks + 1 : 0;
      if (idleChecks >= 2) {
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new QueueJoinTimeoutError(q, options.timeoutMs!);
      }
      await sleep(Math.min(JOIN_POLL_MS, left));
    }
  }

  async flush(queueName: string): Promise<void> {
    const q = qName(queueName);
    await this.#topology.ensure(q);
    await Promise.all([q, dqName(q), xqName(q)].map((name) => this.#topology.purge(name)));
  }

  /** `ready` in `q`; `delayed` in `q.DQ` plus those this broker's workers hold; `deadLettered` in `q.XQ`. */
  async getQueueCounts(queueName: string): Promise<QueueCounts> {
    const q = qName(queueName);
    await this.#topology.ensure(q);
    const [ready, delayed, deadLettered] = await Promise.all(
      [q, dqName(q), xqName(q)].map((name) => this.#topology.messageCount(name)),
    );
    return { ready: ready!, delayed: delayed! + this.#unsettled(dqName(q)), deadLettered: deadLettered! };
  }

  /**
   * Ready, delayed and dead-lettered counts and consumer counts of the family of `queueName`,
   * without declaring anything (`exists` is false when `q` is missing).
   */
  async inspectQueue(queueName: string): Promise<QueueInspection> {
    return inspectQueue(this.#connection, queueName);
  }

  /**
   * Up to `limit` messages of `q.XQ` (oldest first), decoded with their `x-death` history and
   * error; they are handed back, so they stay in `q.XQ`.
   * @throws BrokerError when `q.XQ` does not exist
   */
  async readDeadLetters(queueName: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    return readDeadLetters(this.#connection, queueName, options.limit ?? 100);
  }

  /**
   * Moves up to `limit` (default: all) messages of `q.XQ` back to the queue they died in, body
   * unchanged (`options.retries` included): published with confirms, then acked in `q.XQ`.
   * @throws BrokerError when `q` or `q.XQ` does not exist, or a publish fails (the rest stays in `q.XQ`)
   */
  async requeueDeadLetters(queueName: string, options: { limit?: number } = {}): Promise<RequeueResult> {
    return requeueDeadLetters(this.#connection, queueName, options.limit ?? Number.POSITIVE_INFINITY);
  }

  /** Stops reconnecting, rejects unconfirmed publishes and closes every channel and the connection. */
  async close(): Promise<void> {
    this.#publisher.close();
    await Promise.all([...this.#consumers].map((consumer) => consumer.close()));
    this.#consumers.clear();
    await this.#connection.close();
  }

  #unsettled(queueName: string): number {
    let count = 0;
    for (const consumer of this.#consumers) {
      if (consumer.queueName === queueName) {
        count += consumer.unsettled;
      }
    }
    return count;
  }
}

setDefaultBrokerFactory(() => new RabbitmqBroker());
