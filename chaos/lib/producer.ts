/**
 * A producer in the runner's process: an opsq `RabbitmqBroker` (with a file logger) sending
 * numbered messages to the fixture actor in batches, keeping the outcome of every `send()`:
 * confirmed, failed with an error, or still pending (which the scenarios treat as a failure:
 * every send must end with a confirmation or an error).
 *
 * @module
 */
import { Message, RabbitmqBroker } from "opsq";
import { fileLogger } from "./rabbit.js";
import { errorText, sleep, until } from "./scenario.js";

/** Options of {@link openProducerBroker}. */
export interface ProducerBrokerOptions {
  url: string;
  /** Several nodes of a cluster (over `url`). */
  urls?: readonly string[];
  /** Quorum queues, for a cluster (they must match the workers'). */
  queueType?: "classic" | "quorum";
  /** `x-delivery-limit` of quorum queues (it must match the workers'). */
  deliveryLimit?: number;
  logFile: string;
  connectionName?: string;
  confirmTimeoutMs?: number;
  maxMessageBytes?: number;
}

/** A RabbitmqBroker for producing, without middleware, logging to a file. */
export function openProducerBroker(options: ProducerBrokerOptions): RabbitmqBroker {
  return new RabbitmqBroker({
    url: options.url,
    ...(options.urls === undefined ? {} : { urls: options.urls }),
    ...(options.queueType === undefined ? {} : { queueType: options.queueType }),
    ...(options.deliveryLimit === undefined ? {} : { deliveryLimit: options.deliveryLimit }),
    middleware: [],
    logger: fileLogger(options.logFile, { role: "producer" }),
    connectionName: options.connectionName ?? "opsq-chaos-producer",
    confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
  });
}

/** Options of {@link Producer.run}. */
export interface ProduceOptions {
  /** How many messages. */
  count: number;
  /** Sends in flight at once. @default 50 */
  batch?: number;
  /** Pause between batches, to spread the load over time. @default 0 */
  pauseMs?: number;
  /** Publish to the delay queue, due this long from the send. */
  delayMs?: (n: number) => number | undefined;
}

/** Sends `chaos_work(n[, dueAt])` messages and remembers how each `send()` ended. */
export class Producer {
  /** Sends attempted. */
  sent = 0;
  /** Confirmed message ids → their number. */
  readonly confirmed = new Map<string, number>();
  /** Failed message ids → the error text. */
  readonly failed = new Map<string, string>();
  /** Error names of failed sends, counted. */
  readonly failureKinds = new Map<string, number>();
  readonly #pending = new Set<string>();
  #stopped = false;

  constructor(
    readonly broker: RabbitmqBroker,
    readonly queue: string,
    readonly actorName = "chaos_work",
  ) {}

  /** Sends not settled yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Makes {@link Producer.run} stop after its current batch. */
  stop(): void {
    this.#stopped = true;
  }

  /** Sends `count` messages in batches; resolves once every send has settled or `settleTimeoutMs` passed. */
  async run(options: ProduceOptions, settleTimeoutMs = 30_000): Promise<void> {
    const batch = options.batch ?? 50;
    let n = 0;
    while (n < options.count && !this.#stopped) {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < batch && n < options.count; i++, n++) {
        sends.push(this.send(n, options.delayMs?.(n)));
      }
      await Promise.all(sends);
      if (options.pauseMs) {
        await sleep(options.pauseMs);
      }
    }
    await until(() => this.#pending.size === 0, settleTimeoutMs);
  }

  /** Sends one message; never rejects (the outcome is recorded). */
  send(n: number, delayMs?: number): Promise<void> {
    const dueAt = delayMs === undefined ? undefined : Date.now() + delayMs;
    const message = new Message({
      queueName: this.queue,
      actorName: this.actorName,
      args: dueAt === undefined ? [n] : [n, dueAt],
    });
    this.sent++;
    this.#pending.add(message.messageId);
    return this.broker.enqueue(message, delayMs === undefined ? {} : { delayMs }).then(
      () => {
        this.#pending.delete(message.messageId);
        this.confirmed.set(message.messageId, n);
      },
      (error: unknown) => {
        this.#pending.delete(message.messageId);
        this.failed.set(message.messageId, errorText(error));
        const kind = error instanceof Error ? error.name : typeof error;
        this.failureKinds.set(kind, (this.failureKinds.get(kind) ?? 0) + 1);
      },
    );
  }

  /** `PublishError ×3, ConnectionClosedError ×1`, or `none`. */
  describeFailures(): string {
    return this.failureKinds.size === 0
      ? "none"
      : [...this.failureKinds].map(([kind, count]) => `${kind} ×${count}`).join(", ");
  }
}
