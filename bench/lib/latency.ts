/**
 * Latency, send → handler start, through one `opsq worker` process (concurrency 50): the time of
 * `send()` travels as the message's argument, and the handler subtracts it from its own start time
 * (both `performance.timeOrigin + performance.now()`, one clock for the machine).
 * - light load: one message at a time, each confirmed before the next, ~100/s;
 * - loaded: `send()` paced (every 5 ms) at a given rate, e.g. 50 % of the measured peak.
 */
import { defineActor, RabbitmqBroker } from "opsq";
import { type BenchContext, deleteFamilies, statsQueue, waitEmpty } from "./amqp.js";
import { assertAlive, readRecords, startStatsWorker, type WorkerRecord } from "./processes.js";
import { percentile, sleep, wallClock } from "./stats.js";

export interface LatencyFigures {
  /** Messages measured. */
  count: number;
  /** Offered rate, msg/s (achieved, for the paced run). */
  rate: number;
  p50: number;
  p99: number;
  max: number;
}

/** What a load run by {@link withStatsWorker} gets. */
interface Sender {
  /** `send()` of the "bench_stats" actor. */
  send(sentAt: number): Promise<unknown>;
  /** Resolves once the queue is empty (rejects when the worker died). */
  drained(): Promise<void>;
}

/**
 * Starts one `opsq worker` on a fresh stats queue, runs `load` with a producer's `send()`, waits
 * until the worker has handled everything, stops it, and returns what `load` returned with the
 * worker's records.
 */
async function withStatsWorker<T>(
  context: BenchContext,
  label: string,
  load: (sender: Sender) => Promise<T>,
): Promise<[T, WorkerRecord[]]> {
  const { queue, stats } = await statsQueue(context, label);
  const broker = new RabbitmqBroker({ url: context.url });
  const actor = defineActor("bench_stats", (_sentAt: number) => {}, { queue, broker });
  const worker = await startStatsWorker(context.url, { queue, stats });
  const drained = () => waitEmpty(context, queue, assertAlive([worker]));
  let result: T;
  try {
    result = await load({ send: (sentAt) => actor.send(sentAt), drained });
    await drained();
    // The last deliveries are still unacked in the worker: give them time to finish.
    await sleep(300);
  } finally {
    await worker.stop();
    await broker.close();
  }
  const records = readRecords(stats);
  await deleteFamilies(context, [queue]);
  return [result, records];
}

/** Latency figures of `load` (which returns its rate), after a warm-up of 200 messages that record none. */
async function measureLatency(
  context: BenchContext,
  label: string,
  load: (send: Sender["send"]) => Promise<number>,
): Promise<LatencyFigures> {
  const [rate, records] = await withStatsWorker(context, label, async ({ send, drained }) => {
    // Warm-up: 200 messages that record no latency (argument 0).
    for (let i = 0; i < 200; i++) await send(0);
    await drained();
    await sleep(200);
    return load(send);
  });
  const latencies = records.flatMap((record) => record.latencies);
  return {
    count: latencies.length,
    rate,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

/**
 * The end-to-end peak: `count` messages sent at once with `send()` while the worker consumes;
 * messages handled per second, from the first to the last handler start.
 */
export async function measurePipelinePeak(context: BenchContext, count = 20_000): Promise<number> {
  const [, [record]] = await withStatsWorker(context, "peak", ({ send }) =>
    Promise.all(Array.from({ length: count }, () => send(0))),
  );
  if (record === undefined) throw new Error("the peak worker wrote no record");
  return ((record.count - 1) * 1000) / (record.last - record.first);
}

/** `count` messages one at a time, one every `periodMs` (each awaits its confirm first). */
export function measureLightLatency(
  context: BenchContext,
  count = 500,
  periodMs = 10,
): Promise<LatencyFigures> {
  return measureLatency(context, "lat-light", async (send) => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      await send(wallClock());
      const next = started + (i + 1) * periodMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
    return count / ((performance.now() - started) / 1000);
  });
}

/** Sends at `rate` msg/s for `durationMs`, in batches every 5 ms, without waiting for confirms in between. */
export function measureLoadedLatency(
  context: BenchContext,
  rate: number,
  durationMs = 4000,
): Promise<LatencyFigures> {
  return measureLatency(context, "lat-load", async (send) => {
    const pending: Promise<unknown>[] = [];
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < durationMs) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      while (sent < due) {
        pending.push(send(wallClock()));
        sent++;
      }
      await sleep(5);
    }
    const elapsed = performance.now() - started;
    await Promise.all(pending);
    return sent / (elapsed / 1000);
  });
}
