/**
 * The heartbeat a worker publishes to the `opsq.workers` fanout exchange, and its decoding.
 * Small JSON: who the worker is, what it consumes, and its counters since it started.
 *
 * @module
 */

/** The fanout exchange workers publish their heartbeats to. */
export const HEARTBEAT_EXCHANGE = "opsq.workers";

/** How the exchange is declared, the same by every declarer (a mismatch is refused by RabbitMQ). */
export const HEARTBEAT_EXCHANGE_OPTIONS = { durable: false, autoDelete: false } as const;

/** One heartbeat, version 1. */
export interface Beat {
  /** Format version. */
  v: 1;
  /** The worker's id (`Worker.id`). */
  worker: string;
  /** Host name. */
  host: string;
  /** Process id. */
  pid: number;
  /** Canonical queues consumed. */
  queues: string[];
  /** Most attempts at once. */
  concurrency: number;
  /** Attempts running now. */
  inFlight: number;
  /** Delayed messages held until their eta. */
  delayedHeld: number;
  /** Attempts acked since start. */
  acked: number;
  /** Attempts that failed since start (retried or dead-lettered). */
  failed: number;
  /** Deliveries dead-lettered since start. */
  deadLettered: number;
  /** Attempts finished since start, by canonical queue. */
  processed: Record<string, number>;
  /** Delayed messages held until their eta, by canonical queue: how many, and the next eta (Unix ms). */
  delayed: Record<string, { held: number; nextEtaMs: number }>;
  /** When the worker started (Unix ms). */
  startedAtMs: number;
  /** When this beat was sent (Unix ms). */
  sentAtMs: number;
  /** Time to the next beat, in ms. */
  intervalMs: number;
  /** `running`, then `stopped` on the last beat. */
  state: "running" | "stopping" | "stopped";
}

/** Decodes a beat. @returns undefined when `content` is not a version-1 beat */
export function decodeBeat(content: Buffer | string): Beat | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content.toString());
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") {
    return undefined;
  }
  const beat = value as Partial<Beat>;
  const numbers = [
    beat.pid,
    beat.concurrency,
    beat.inFlight,
    beat.acked,
    beat.failed,
    beat.deadLettered,
    beat.startedAtMs,
    beat.sentAtMs,
    beat.intervalMs,
  ];
  if (
    beat.v !== 1 ||
    typeof beat.worker !== "string" ||
    typeof beat.host !== "string" ||
    !Array.isArray(beat.queues) ||
    !beat.queues.every((queue) => typeof queue === "string") ||
    !numbers.every((n) => typeof n === "number" && Number.isFinite(n)) ||
    !["running", "stopping", "stopped"].includes(String(beat.state))
  ) {
    return undefined;
  }
  const processed: Record<string, number> = {};
  if (beat.processed !== null && typeof beat.processed === "object") {
    for (const [queue, count] of Object.entries(beat.processed)) {
      if (typeof count === "number" && Number.isFinite(count)) {
        processed[queue] = count;
      }
    }
  }
  const delayed: Beat["delayed"] = {};
  if (beat.delayed !== null && typeof beat.delayed === "object") {
    for (const [queue, entry] of Object.entries(beat.delayed)) {
      const { held, nextEtaMs } = (entry ?? {}) as Partial<Beat["delayed"][string]>;
      if (typeof held === "number" && typeof nextEtaMs === "number") {
        delayed[queue] = { held, nextEtaMs };
      }
    }
  }
  return { ...(beat as Beat), delayedHeld: Number(beat.delayedHeld ?? 0) || 0, processed, delayed };
}
