/**
 * The live workers, heard from their heartbeats: the dashboard binds an exclusive,
 * auto-deleted queue of its own to the `opsq.workers` fanout exchange and keeps the last beat
 * of each worker. A worker that stops beating fades out: `late` after 2.5 intervals, `lost`
 * after 6, forgotten after 20 (a worker that said `stopped` is forgotten after a minute).
 * A lost connection is subscribed again on the next read.
 *
 * @module
 */
import type { Channel, ChannelModel } from "amqplib";
import type { RabbitmqConnection } from "../brokers/rabbitmq/connection.js";
import { type Beat, decodeBeat, HEARTBEAT_EXCHANGE, HEARTBEAT_EXCHANGE_OPTIONS } from "../heartbeat/beat.js";

/** How fresh a worker's last beat is. */
export type WorkerFreshness = "live" | "late" | "lost" | "stopped";

/** A worker as last heard of. */
export interface WorkerView {
  /** Its last beat. */
  beat: Beat;
  /** Time since that beat was received, in ms. */
  ageMs: number;
  /** How fresh it is. */
  freshness: WorkerFreshness;
}

/** Keeps the last heartbeat of each worker. */
export class WorkerRegistry {
  readonly #connection: RabbitmqConnection;
  readonly #beats = new Map<string, { beat: Beat; receivedAtMs: number }>();
  #subscribed: ChannelModel | undefined;
  #subscribing: Promise<void> | undefined;
  #channel: Channel | undefined;

  /** @param connection the dashboard's RabbitMQ connection */
  constructor(connection: RabbitmqConnection) {
    this.#connection = connection;
  }

  /** Subscribes to the beats when not subscribed on the current connection. Never throws. */
  async subscribe(): Promise<void> {
    const model = this.#connection.current ?? (await this.#connection.ready().catch(() => undefined));
    if (model === undefined || model === this.#subscribed) {
      return;
    }
    this.#subscribing ??= this.#open(model).finally(() => {
      this.#subscribing = undefined;
    });
    await this.#subscribing;
  }

  /** Records a beat (exported for tests and for beats heard another way). */
  record(beat: Beat, receivedAtMs = Date.now()): void {
    this.#beats.set(beat.worker, { beat, receivedAtMs });
  }

  /** The workers heard of, freshest first; forgets those gone long enough. */
  list(nowMs = Date.now()): WorkerView[] {
    const views: WorkerView[] = [];
    for (const [id, { beat, receivedAtMs }] of this.#beats) {
      const ageMs = Math.max(0, nowMs - receivedAtMs);
      const intervals = ageMs / Math.max(1, beat.intervalMs);
      if ((beat.state === "stopped" && ageMs > 60_000) || intervals > 20) {
        this.#beats.delete(id);
        continue;
      }
      const freshness: WorkerFreshness =
        beat.state === "stopped" ? "stopped" : intervals > 6 ? "lost" : intervals > 2.5 ? "late" : "live";
      views.push({ beat, ageMs, freshness });
    }
    return views.sort((a, b) => a.ageMs - b.ageMs || a.beat.host.localeCompare(b.beat.host));
  }

  /** Messages of `queue` finished by the workers heard of, or undefined when none consumes it. */
  processed(queue: string): number | undefined {
    let total: number | undefined;
    for (const { beat } of this.#beats.values()) {
      if (beat.queues.includes(queue)) {
        total = (total ?? 0) + (beat.processed[queue] ?? 0);
      }
    }
    return total;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await this.#channel?.close().catch(() => {});
    this.#channel = undefined;
  }

  async #open(model: ChannelModel): Promise<void> {
    try {
      const channel = await model.createChannel();
      channel.on("error", () => {});
      channel.on("close", () => {
        if (this.#channel === channel) {
          this.#subscribed = undefined;
          this.#channel = undefined;
        }
      });
      await channel.assertExchange(HEARTBEAT_EXCHANGE, "fanout", HEARTBEAT_EXCHANGE_OPTIONS);
      const { queue } = await channel.assertQueue("", {
        exclusive: true,
        autoDelete: true,
        durable: false,
        arguments: { "x-message-ttl": 30_000, "x-max-length": 10_000 },
      });
      await channel.bindQueue(queue, HEARTBEAT_EXCHANGE, "");
      await channel.consume(
        queue,
        (message) => {
          const beat = message === null ? undefined : decodeBeat(message.content);
          if (beat !== undefined) {
            this.record(beat);
          }
        },
        { noAck: true },
      );
      this.#channel = channel;
      this.#subscribed = model;
    } catch {
      // Tried again on the next read.
    }
  }
}
