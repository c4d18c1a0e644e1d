/**
 * Latency, send → handler start, through one `opsq worker` process (concurrency 50): the time of
 * `send()` travels as the message's argument, and the handler subtracts it from its own start time
 * (both `performance.timeOrigin + performance.now()`, one clock for the machine).
 * - light load: one message at a time, each confirmed before the next, ~100/s;
 * - loaded: `send()` paced (every 5 ms) at a given rate, e.g. 50 % of the measured peak.
 */
import { join } from "node:path";
import { defineActor, RabbitmqBroker } from "opsq";
import { type BenchContext, declareFamily, deleteFamilies, uniqueQueue, waitEmpty } from "./amqp.js";
import { assertAlive, benchEnv, OPSQ_CLI, readRecords, STATS_ACTORS, spawnReady } from "./processes.js";
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

async function withWorker(
  context: BenchContext,
  label: string,
  load: (send: (sentAt: number) => Promise<unknown>) => Promise<number>,
): Promise<LatencyFigures> {
  const queue = uniqueQueue(context, label);
  const stats = join(context.tmpdir, queue);
  await declareFamily(context, queue);
  const broker = new RabbitmqBroker({ url: context.url });
  const actor = defineActor("bench_stats", (_sentAt: number) => {}, { queue, broker });
  const worker = await spawnReady(
    [OPSQ_CLI, "worker", STATS_ACTORS, "--concurrency", "50"],
    benchEnv(context.url, { BENCH_QUEUE: queue, BENCH_STATS: stats }),
  );
  let rate: number;
  try {
    // Warm-up: 200 messages that record no latency (argument 0).
    for (let i = 0; i < 200; i++) await actor.send(0);
    await waitEmpty(context, queue, assertAlive([worker]));
    await sleep(200);
    rate = await load((sentAt) => actor.send(sentAt));
    await waitEmpty(context, queue, assertAlive([worker]));
    await sleep(300);
  } finally {
    await worker.stop();
    await broker.close();
  }
  const latencies = readRecords(stats).flatMap((record) => record.latencies);
  await deleteFamilies(context, [queue]);
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
  const queue = uniqueQueue(context, "peak");
  const stats = join(context.tmpdir, queue);
  await declareFamily(context, queue);
  const broker = new RabbitmqBroker({ url: context.url });
  const actor = defineActor("bench_stats", (_sentAt: number) => {}, { queue, broker });
  const worker = await spawnReady(
    [OPSQ_CLI, "worker", STATS_ACTORS, "--concurrency", "50"],
    benchEnv(context.url, { BENCH_QUEUE: queue, BENCH_STATS: stats }),
  );
  try {
    await Promise.all(Array.from({ length: count }, () => actor.send(0)));
    await waitEmpty(context, queue, assertAlive([worker]));
    await sleep(300);
  } finally {
    await worker.stop();
    await broker.close();
  }
  const [record] = readRecords(stats);
  await deleteFamilies(context, [queue]);
  if (record === undefined) throw new Error("the peak worker wrote no record");
  return ((record.count - 1) * 1000) / (record.last - record.first);
}

/** `count` messages one at a time, one every `periodMs` (each awaits its confirm first). */
export function measureLightLatency(
  context: BenchContext,
  count = 500,
  periodMs = 10,
): Promise<LatencyFigures> {
  return withWorker(context, "lat-light", async (send) => {
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
  return withWorker(context, "lat-load", async (send) => {
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
