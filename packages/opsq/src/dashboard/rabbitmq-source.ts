/**
 * The dashboard's data from RabbitMQ: counts through the management API when it answers
 * (probed with the broker's credentials), else through passive `queue.declare`s; dead letters
 * through the same code as `opsq dead-letters`; workers from their heartbeats. Reads are
 * shared: however many pages refresh, RabbitMQ is asked at most once per `cacheMs`.
 *
 * @module
 */
import { splitBrokerUrls } from "../brokers/rabbitmq/broker-urls.js";
import { RabbitmqConnection } from "../brokers/rabbitmq/connection.js";
import {
  findDeadLetter,
  peekDelayed,
  purgeDeadLetters,
  settleDeadLetter,
} from "../brokers/rabbitmq/dead-letter-actions.js";
import {
  inspectQueue,
  type QueueInspection,
  readDeadLetters,
  requeueDeadLetters,
} from "../brokers/rabbitmq/inspect.js";
import { QueueProbe } from "../brokers/rabbitmq/queue-probe.js";
import { checkMessageIds } from "../cancellation/backend.js";
import { PostgresCancellationBackend } from "../cancellation/postgres.js";
import { createLogger, type Logger, redactUrl } from "../logger.js";
import { isDelayQueue, qName } from "../queue-names.js";
import { ManagementApi, type ManagementQueue } from "./management-api.js";
import { RateHistory } from "./rate-history.js";
import type { DashboardSource, DelayedRow, QueueRow, StatsOrigin } from "./source.js";
import { WorkerRegistry } from "./worker-registry.js";

/** Options of {@link RabbitmqSource}. */
export interface RabbitmqSourceOptions {
  /** AMQP URL. */
  url: string;
  /** Queues always shown (others come from workers' heartbeats and the management API). */
  queues?: readonly string[];
  /** Management API base URL, or false to never use it. @default http://<broker host>:15672, probed */
  managementUrl?: string | false;
  /** A cancellation store: enables cancelling by message id. */
  cancel?: { url: string; table?: string };
  /** Reads younger than this are reused. @default 1000 */
  cacheMs?: number;
  /** Time between two rate points. @default 5000 */
  sampleIntervalMs?: number;
  /** @default silent */
  logger?: Logger;
}

/** Most messages of `q.DQ` read to find the next due one. */
const DELAYED_PEEK = 1_000;
/** How long the management probe's answer is kept. */
const PROBE_TTL_MS = 60_000;
/** How long a peek at `q.DQ` is kept: reading up to 1,000 messages is not done on every refresh. */
const PEEK_TTL_MS = 10_000;

/** {@link DashboardSource} on RabbitMQ. */
export class RabbitmqSource implements DashboardSource {
  readonly cancel: DashboardSource["cancel"];
  readonly #connection: RabbitmqConnection;
  readonly #registry: WorkerRegistry;
  readonly #queueProbe: QueueProbe;
  readonly #history = new RateHistory();
  readonly #names: Set<string>;
  readonly #management: ManagementApi | undefined;
  readonly #cancelBackend: PostgresCancellationBackend | undefined;
  readonly #cacheMs: number;
  readonly #sampleIntervalMs: number;
  #probe: { atMs: number; ok: Promise<boolean> } | undefined;
  #snapshot: { atMs: number; rows: Promise<QueueRow[]> } | undefined;
  #lastPointMs = 0;
  #sampler: NodeJS.Timeout | undefined;
  #lastReadMs = 0;
  readonly #peeks = new Map<string, { atMs: number; nextEtaMs: Promise<number | undefined> }>();

  /** @param options the broker URL, queues, management API and cancellation store */
  constructor(options: RabbitmqSourceOptions) {
    const logger = options.logger ?? createLogger({ level: "silent" });
    this.#connection = new RabbitmqConnection({
      urls: splitBrokerUrls(options.url),
      heartbeatSeconds: 30,
      socketOptions: {},
      connectionName: "opsq-dashboard",
      reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 },
      logger,
    });
    this.#registry = new WorkerRegistry(this.#connection);
    this.#queueProbe = new QueueProbe(this.#connection);
    this.#names = new Set((options.queues ?? []).map(qName));
    this.#management =
      options.managementUrl === false
        ? undefined
        : ManagementApi.forBroker(options.url, options.managementUrl);
    this.#cacheMs = options.cacheMs ?? 1_000;
    this.#sampleIntervalMs = options.sampleIntervalMs ?? 5_000;
    if (options.cancel !== undefined) {
      const backend = new PostgresCancellationBackend({
        url: options.cancel.url,
        ...(options.cancel.table === undefined ? {} : { table: options.cancel.table }),
      });
      this.#cancelBackend = backend;
      this.cancel = async (ids) => {
        checkMessageIds(ids);
        await backend.cancel(ids);
      };
    }
  }

  /** Opens the connection and starts hearing heartbeats. @throws ConnectionFailedError when unreachable */
  async connect(): Promise<void> {
    await this.#connection.ready();
    await this.#registry.subscribe();
  }

  async statsOrigin(): Promise<StatsOrigin> {
    if (this.#management !== undefined && (await this.#managementAnswers())) {
      return {
        kind: "management",
        detail: `RabbitMQ management API at ${redactUrl(this.#management.baseUrl)}`,
      };
    }
    return {
      kind: "amqp",
      detail:
        this.#management === undefined
          ? "AMQP (the management API is turned off): unacked unknown, rates estimated from samples and worker heartbeats"
          : `AMQP (no management API at ${redactUrl(this.#management.baseUrl)}): unacked unknown, rates estimated from samples and worker heartbeats`,
    };
  }

  async queues(): Promise<QueueRow[]> {
    this.#touch();
    const now = Date.now();
    if (this.#snapshot === undefined || now - this.#snapshot.atMs >= this.#cacheMs) {
      const rows = this.#read(now);
      // A failed read is not cached.
      rows.catch(() => {
        if (this.#snapshot?.rows === rows) {
          this.#snapshot = undefined;
        }
      });
      this.#snapshot = { atMs: now, rows };
    }
    return this.#snapshot.rows;
  }

  deadLetters(queue: string, limit: number) {
    this.#names.add(qName(queue));
    return readDeadLetters(this.#connection, queue, limit);
  }

  deadLetter(queue: string, messageId: string) {
    return findDeadLetter(this.#connection, queue, messageId);
  }

  requeueDeadLetter(queue: string, messageId: string) {
    return this.#changed(settleDeadLetter(this.#connection, queue, messageId, "requeue"));
  }

  deleteDeadLetter(queue: string, messageId: string) {
    return this.#changed(settleDeadLetter(this.#connection, queue, messageId, "delete"));
  }

  async requeueAllDeadLetters(queue: string): Promise<number> {
    return (await this.#changed(requeueDeadLetters(this.#connection, queue, Number.MAX_SAFE_INTEGER))).moved;
  }

  purgeDeadLetters(queue: string) {
    return this.#changed(purgeDeadLetters(this.#connection, queue));
  }

  async delayed(): Promise<DelayedRow[]> {
    const rows = await this.queues();
    const workers = await this.workers();
    const out: DelayedRow[] = [];
    for (const row of rows.filter((r) => r.exists)) {
      const waitingEta = row.delayed > 0 ? await this.#nextEta(row.queue) : undefined;
      let heldByWorkers = 0;
      let nextEtaMs = waitingEta;
      for (const { beat, freshness } of workers) {
        const held = beat.delayed[row.queue];
        if (freshness !== "stopped" && held !== undefined) {
          heldByWorkers += held.held;
          nextEtaMs = nextEtaMs === undefined ? held.nextEtaMs : Math.min(nextEtaMs, held.nextEtaMs);
        }
      }
      out.push({ queue: row.queue, waiting: row.delayed, heldByWorkers, nextEtaMs });
    }
    return out;
  }

  async workers() {
    this.#touch();
    await this.#registry.subscribe();
    return this.#registry.list();
  }

  async close(): Promise<void> {
    clearInterval(this.#sampler);
    this.#sampler = undefined;
    await this.#registry.close();
    await this.#queueProbe.close();
    await this.#connection.close();
    await this.#cancelBackend?.close().catch(() => {});
  }

  // The next due time among the messages waiting in q.DQ, read at most once per PEEK_TTL_MS.
  #nextEta(queue: string): Promise<number | undefined> {
    const now = Date.now();
    const cached = this.#peeks.get(queue);
    if (cached !== undefined && now - cached.atMs < PEEK_TTL_MS) {
      return cached.nextEtaMs;
    }
    const nextEtaMs = peekDelayed(this.#connection, queue, DELAYED_PEEK).then((peek) => peek.nextEtaMs);
    nextEtaMs.catch(() => this.#peeks.delete(queue));
    this.#peeks.set(queue, { atMs: now, nextEtaMs });
    return nextEtaMs;
  }

  // An action changes counts: the next read goes to RabbitMQ.
  async #changed<T>(action: Promise<T>): Promise<T> {
    try {
      return await action;
    } finally {
      this.#snapshot = undefined;
    }
  }

  // Keeps rate points coming while someone looks (a read in the last 5 minutes).
  #touch(): void {
    this.#lastReadMs = Date.now();
    if (this.#sampler !== undefined) {
      return;
    }
    this.#sampler = setInterval(() => {
      if (Date.now() - this.#lastReadMs > 300_000) {
        clearInterval(this.#sampler);
        this.#sampler = undefined;
        return;
      }
      this.#snapshot = undefined;
      void this.#read(Date.now()).catch(() => {});
    }, this.#sampleIntervalMs);
    this.#sampler.unref();
  }

  async #managementAnswers(): Promise<boolean> {
    const now = Date.now();
    if (this.#probe === undefined || now - this.#probe.atMs > PROBE_TTL_MS) {
      this.#probe = { atMs: now, ok: this.#management?.probe() ?? Promise.resolve(false) };
    }
    return this.#probe.ok;
  }

  async #read(now: number): Promise<QueueRow[]> {
    await this.#registry.subscribe();
    for (const worker of this.#registry.list(now)) {
      for (const queue of worker.beat.queues) {
        this.#names.add(qName(queue));
      }
    }
    const listed =
      this.#management !== undefined && (await this.#managementAnswers())
        ? await this.#management.queues().catch(() => undefined)
        : undefined;
    const point = now - this.#lastPointMs >= this.#sampleIntervalMs - 100;
    if (point) {
      this.#lastPointMs = now;
    }
    const rows =
      listed === undefined ? await this.#readAmqp(now, point) : this.#fromManagement(listed, now, point);
    return rows.sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async #readAmqp(now: number, point: boolean): Promise<QueueRow[]> {
    const inspections: QueueInspection[] = [];
    for (const name of this.#names) {
      inspections.push(await inspectQueue(this.#connection, name, this.#queueProbe));
    }
    return inspections.map((inspection) => {
      if (point && inspection.exists) {
        this.#history.addSample(inspection.queue, {
          atMs: now,
          ready: inspection.ready,
          processed: this.#registry.processed(inspection.queue),
        });
      }
      return {
        queue: inspection.queue,
        exists: inspection.exists,
        ready: inspection.ready,
        delayed: inspection.delayed,
        deadLettered: inspection.deadLettered,
        unacked: undefined,
        consumers: inspection.consumers,
        rates: this.#history.points(inspection.queue),
      };
    });
  }

  #fromManagement(listed: ManagementQueue[], now: number, point: boolean): QueueRow[] {
    const byName = new Map(listed.map((queue) => [queue.name, queue]));
    for (const queue of listed) {
      // Server-named queues (amq.gen-…, the heartbeat listeners) are nobody's family.
      if (!queue.name.startsWith("amq.") && !isDelayQueue(queue.name) && !queue.name.endsWith(".XQ")) {
        this.#names.add(queue.name);
      }
    }
    return [...this.#names].map((name) => {
      const main = byName.get(name);
      if (point && main !== undefined) {
        this.#history.addRates(name, {
          atMs: now,
          publishPerSec: main.publishPerSec,
          deliverPerSec: main.deliverPerSec,
        });
      }
      return {
        queue: name,
        exists: main !== undefined,
        ready: main?.ready ?? 0,
        delayed: byName.get(`${name}.DQ`)?.ready ?? 0,
        deadLettered: byName.get(`${name}.XQ`)?.ready ?? 0,
        unacked: main?.unacked,
        consumers: main?.consumers ?? 0,
        rates: this.#history.points(name),
      };
    });
  }
}
