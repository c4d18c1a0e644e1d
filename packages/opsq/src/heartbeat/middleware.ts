/**
 * WorkerHeartbeat: a worker publishes a small beat every few seconds to the `opsq.workers`
 * fanout exchange (see {@link Beat}), on a connection of its own so it never waits behind the
 * worker's own publishing. Nobody listening costs nothing: a fanout with no queue bound drops
 * the beat. Each beat expires after two intervals, so a listener that falls behind never reads
 * stale ones. Publishing errors are ignored (the next beat tries again).
 *
 * @module
 */

import { hostname } from "node:os";
import type { Broker } from "../broker.js";
import { splitBrokerUrls } from "../brokers/rabbitmq/broker-urls.js";
import { RabbitmqConnection } from "../brokers/rabbitmq/connection.js";
import type { Logger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Middleware, Outcome } from "../middleware/middleware.js";
import { qName } from "../queue-names.js";
import type { Worker } from "../worker.js";
import { type Beat, HEARTBEAT_EXCHANGE, HEARTBEAT_EXCHANGE_OPTIONS } from "./beat.js";

/** Options of {@link WorkerHeartbeat}. */
export interface WorkerHeartbeatOptions {
  /** AMQP URL of the RabbitMQ the beats go to. */
  url: string;
  /** Time between two beats. @default 5000 */
  intervalMs?: number;
  /** @default the broker's logger */
  logger?: Logger;
}

/** Publishes the worker's heartbeat to the `opsq.workers` fanout exchange. */
export class WorkerHeartbeat implements Middleware {
  readonly name = "WorkerHeartbeat";
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #processed = new Map<string, number>();
  /** Delayed messages the worker holds, by message id (forgotten once due). */
  readonly #held = new Map<string, { queue: string; etaMs: number }>();
  #failed = 0;
  #logger: Logger | undefined;
  #connection: RabbitmqConnection | undefined;
  #timer: NodeJS.Timeout | undefined;
  #worker: Worker | undefined;
  #startedAtMs = 0;

  /** @param options the broker URL and the interval */
  constructor(options: WorkerHeartbeatOptions) {
    const intervalMs = options.intervalMs ?? 5_000;
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 100) {
      throw new RangeError(`intervalMs must be a whole number of ms ≥ 100, got ${options.intervalMs}`);
    }
    this.#url = options.url;
    this.#intervalMs = intervalMs;
    this.#logger = options.logger;
  }

  /** Starts beating once the worker consumes. */
  afterWorkerBoot(broker: Broker, worker: Worker): void {
    this.#logger ??= broker.logger;
    this.#worker = worker;
    this.#startedAtMs = Date.now();
    this.#connection = new RabbitmqConnection({
      urls: splitBrokerUrls(this.#url),
      heartbeatSeconds: 30,
      socketOptions: {},
      connectionName: "opsq-heartbeat",
      reconnect: { initialDelayMs: 1_000, maxDelayMs: 30_000 },
      logger: this.#logger.child({ component: "heartbeat" }),
    });
    // The first beat as soon as the connection is open; then one per interval.
    void this.#connection.ready().then(
      () => this.#beat("running"),
      () => {},
    );
    this.#timer = setInterval(() => void this.#beat("running"), this.#intervalMs);
    this.#timer.unref();
  }

  /** Counts finished attempts by queue, and failures. */
  afterProcessMessage(_broker: Broker, message: MessageProxy, outcome: Outcome): void {
    const queue = qName(message.message.queueName);
    this.#processed.set(queue, (this.#processed.get(queue) ?? 0) + 1);
    if (outcome.error !== undefined) {
      this.#failed += 1;
    }
  }

  /** Notes a delayed message the worker now holds until its eta. */
  beforeDelayMessage(_broker: Broker, message: MessageProxy): void {
    const eta = message.message.options.eta;
    if (typeof eta === "number") {
      this.#held.set(message.messageId, { queue: qName(message.message.queueName), etaMs: eta });
    }
  }

  /** Says the worker is stopping. */
  async beforeWorkerShutdown(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beat("stopping");
  }

  /** Sends the last beat and closes the connection. */
  async afterWorkerShutdown(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beat("stopped");
    await this.#connection?.close().catch(() => {});
    this.#connection = undefined;
  }

  /** The beat as it would be sent now. */
  beat(state: Beat["state"]): Beat | undefined {
    const worker = this.#worker;
    if (worker === undefined) {
      return undefined;
    }
    const stats = worker.stats;
    const now = Date.now();
    const delayed: Beat["delayed"] = {};
    for (const [id, { queue, etaMs }] of this.#held) {
      if (etaMs <= now) {
        // Due: the worker moved it to its queue.
        this.#held.delete(id);
        continue;
      }
      const entry = delayed[queue] ?? { held: 0, nextEtaMs: etaMs };
      entry.held += 1;
      entry.nextEtaMs = Math.min(entry.nextEtaMs, etaMs);
      delayed[queue] = entry;
    }
    return {
      v: 1,
      worker: worker.id,
      host: hostname(),
      pid: process.pid,
      queues: [...worker.queues],
      concurrency: worker.concurrency,
      inFlight: stats.running,
      delayedHeld: stats.delayed,
      acked: stats.acked,
      failed: this.#failed,
      deadLettered: stats.nacked,
      processed: Object.fromEntries(this.#processed),
      delayed,
      startedAtMs: this.#startedAtMs,
      sentAtMs: Date.now(),
      intervalMs: this.#intervalMs,
      state,
    };
  }

  // Sends a beat now, or skips it while disconnected (never waits for a reconnection). Bounded:
  // a beat that takes longer than an interval (a blocked connection) is abandoned.
  async #beat(state: Beat["state"]): Promise<void> {
    const beat = this.beat(state);
    const model = this.#connection?.current;
    if (beat === undefined || model === undefined) {
      void this.#connection?.ready().catch(() => {});
      return;
    }
    const send = async () => {
      const channel = await model.createChannel();
      channel.on("error", () => {});
      try {
        await channel.assertExchange(HEARTBEAT_EXCHANGE, "fanout", HEARTBEAT_EXCHANGE_OPTIONS);
        channel.publish(HEARTBEAT_EXCHANGE, "", Buffer.from(JSON.stringify(beat)), {
          contentType: "application/json",
          expiration: String(2 * this.#intervalMs),
        });
      } finally {
        await channel.close().catch(() => {});
      }
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        send(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("heartbeat timed out")),
            Math.min(this.#intervalMs, 2_000),
          );
        }),
      ]);
    } catch (error) {
      this.#logger?.debug({ err: error }, "heartbeat not sent");
    } finally {
      clearTimeout(timer);
    }
  }
}
