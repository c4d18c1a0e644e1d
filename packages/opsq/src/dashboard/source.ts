/**
 * What the dashboard reads and does, as one interface: the RabbitMQ implementation
 * ({@link RabbitmqSource}) for real use, and any object of this shape in tests.
 *
 * @module
 */
import type { DeadLetterDetail } from "../brokers/rabbitmq/dead-letter-actions.js";
import type { DeadLetter } from "../brokers/rabbitmq/inspect.js";
import type { RatePoint } from "./chart.js";
import type { WorkerView } from "./worker-registry.js";

/** Where queue counts and rates come from. */
export interface StatsOrigin {
  /** `management`: RabbitMQ's management API; `amqp`: passive declares, rates estimated. */
  kind: "management" | "amqp";
  /** For people: the management URL (no password), or why AMQP is used. */
  detail: string;
}

/** One queue family as the Queues page shows it. */
export interface QueueRow {
  /** The canonical queue. */
  queue: string;
  /** False when `q` does not exist on RabbitMQ. */
  exists: boolean;
  /** Ready messages in `q`. */
  ready: number;
  /** Ready messages in `q.DQ`. */
  delayed: number;
  /** Messages in `q.XQ`. */
  deadLettered: number;
  /** Messages delivered and not yet acked (management API only). */
  unacked: number | undefined;
  /** Consumers of `q`. */
  consumers: number;
  /** Rates over the last minutes, oldest first. */
  rates: readonly RatePoint[];
}

/** One queue on the Delayed page. */
export interface DelayedRow {
  /** The canonical queue. */
  queue: string;
  /** Messages waiting in `q.DQ` (not those workers hold until their eta). */
  waiting: number;
  /** Delayed messages of `q` the workers hold until their eta (from their heartbeats). */
  heldByWorkers: number;
  /** The earliest eta among those held and up to 1,000 messages read from `q.DQ` (Unix ms). */
  nextEtaMs: number | undefined;
}

/** The dashboard's data and actions. */
export interface DashboardSource {
  /** Where the counts come from. */
  statsOrigin(): Promise<StatsOrigin>;
  /** Every queue family known: named in the options, consumed by a live worker, or listed by the management API. */
  queues(): Promise<QueueRow[]>;
  /** Up to `limit` dead letters of `queue`, oldest first (they stay in `q.XQ`). */
  deadLetters(queue: string, limit: number): Promise<DeadLetter[]>;
  /** One dead letter, whole. */
  deadLetter(queue: string, messageId: string): Promise<DeadLetterDetail | undefined>;
  /** Moves one dead letter back. @returns false when not found */
  requeueDeadLetter(queue: string, messageId: string): Promise<boolean>;
  /** Deletes one dead letter. @returns false when not found */
  deleteDeadLetter(queue: string, messageId: string): Promise<boolean>;
  /** Moves every dead letter of `queue` back. @returns how many */
  requeueAllDeadLetters(queue: string): Promise<number>;
  /** Deletes every dead letter of `queue`. @returns how many */
  purgeDeadLetters(queue: string): Promise<number>;
  /** Delayed messages per queue. */
  delayed(): Promise<DelayedRow[]>;
  /** Workers heard of. */
  workers(): Promise<WorkerView[]>;
  /** Cancels messages by id; absent when no cancellation store is configured. */
  cancel?: (messageIds: readonly string[]) => Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
