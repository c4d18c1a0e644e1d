/**
 * Throughput, opsq vs raw amqplib on the same broker:
 * - enqueue (in this process): raw `publish` on a confirm channel, confirms awaited at the end,
 *   vs `actor.send()` for every message, all awaited (opsq confirms each one);
 * - drain (in subprocesses): a queue pre-filled with N messages, drained by raw amqplib consumers
 *   (prefetch 100, JSON.parse + ack) in P processes vs `opsq worker --processes P --concurrency 50`
 *   (prefetch 100). Every process notes the time of every 500th message; merged, they give the rate
 *   after the first 10 % (start-up and JIT warm-up not counted). Also the CPU time per message.
 */
import { defineActor, RabbitmqBroker } from "opsq";
import {
  type BenchContext,
  declareFamily,
  deleteFamilies,
  prefilledStatsQueue,
  rawPublish,
  statsBody,
  uniqueQueue,
  waitEmpty,
} from "./amqp.js";
import {
  assertAlive,
  mergeRecords,
  ROOT,
  type Running,
  readRecords,
  startRawConsumer,
  startStatsWorker,
} from "./processes.js";
import { median, sleep } from "./stats.js";

export interface EnqueueFigures {
  /** msg/s per round. */
  raw: number[];
  opsq: number[];
  /** CPU of this process per message, µs, per round. */
  rawCpuUs: number[];
  opsqCpuUs: number[];
}

// Runs `measure` and adds its rate and this process's CPU per message to the figures.
async function timed(count: number, measure: () => Promise<number>): Promise<[number, number]> {
  const cpu = process.cpuUsage();
  const rate = await measure();
  const used = process.cpuUsage(cpu);
  return [rate, (used.user + used.system) / count];
}

async function opsqSend(broker: RabbitmqBroker, queue: string, count: number): Promise<number> {
  const actor = defineActor(`bench_send_${queue}`, (_i: number) => {}, { queue, broker });
  await broker.declareQueueOnServer(queue);
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(actor.send(i));
  }
  await Promise.all(pending);
  return count / ((performance.now() - started) / 1000);
}

/** `rounds` rounds of raw and opsq enqueue, alternating which goes first. */
export async function measureEnqueue(context: BenchContext, rounds: number): Promise<EnqueueFigures> {
  const broker = new RabbitmqBroker({ url: context.url });
  const figures: EnqueueFigures = { raw: [], opsq: [], rawCpuUs: [], opsqCpuUs: [] };
  try {
    // Warm-up (JIT, channels), not counted.
    const warm = [uniqueQueue(context, "warm"), uniqueQueue(context, "warm")];
    await declareFamily(context, warm[0]!);
    await rawPublish(context, warm[0]!, 2000, (i) => statsBody(warm[0]!, i));
    await opsqSend(broker, warm[1]!, 2000);
    await deleteFamilies(context, warm);
    for (let round = 0; round < rounds; round++) {
      const rawQueue = uniqueQueue(context, "enq-raw");
      const opsqQueue = uniqueQueue(context, "enq-opsq");
      await declareFamily(context, rawQueue);
      const raw = async () => {
        const [rate, cpuUs] = await timed(context.messages, () =>
          rawPublish(context, rawQueue, context.messages, (i) => statsBody(rawQueue, i)),
        );
        figures.raw.push(rate);
        figures.rawCpuUs.push(cpuUs);
      };
      const opsq = async () => {
        const [rate, cpuUs] = await timed(context.messages, () =>
          opsqSend(broker, opsqQueue, context.messages),
        );
        figures.opsq.push(rate);
        figures.opsqCpuUs.push(cpuUs);
      };
      for (const measure of round % 2 === 0 ? [raw, opsq] : [opsq, raw]) {
        await measure();
      }
      await deleteFamilies(context, [rawQueue, opsqQueue]);
    }
  } finally {
    await broker.close();
  }
  return figures;
}

export type DrainKind = "raw" | "opsq";

export interface DrainRun {
  rate: number;
  count: number;
  /** CPU time of the consumer processes per message, µs. */
  cpuUs: number;
}

/** Messages each process notes a time for. */
const SLICE = 500;

/** Rate after the first 10 %, from every process's slice times (each stands for SLICE more messages). */
export function steadyRate(slices: readonly number[], slice: number): number {
  const times = [...slices].sort((a, b) => a - b);
  const from = Math.floor(times.length / 10);
  const to = times.length - 1;
  return ((to - from) * slice * 1000) / (times[to]! - times[from]!);
}

async function startConsumers(
  context: BenchContext,
  kind: DrainKind,
  processes: number,
  queue: string,
  stats: string,
  root: string,
): Promise<Running[]> {
  const options = { queue, stats, env: { BENCH_PREFETCH: "100", BENCH_SLICE: String(SLICE) } };
  if (kind === "opsq") {
    return [await startStatsWorker(context.url, { ...options, processes, root })];
  }
  return Promise.all(Array.from({ length: processes }, () => startRawConsumer(context.url, options)));
}

/**
 * Pre-fills a queue with `count` messages and drains it with `processes` consumer processes
 * (`opsq worker` and the fixture from the checkout at `root`, by default this one).
 */
export async function drainOnce(
  context: BenchContext,
  kind: DrainKind,
  processes: number,
  count: number,
  root = ROOT,
): Promise<DrainRun> {
  const { queue, stats } = await prefilledStatsQueue(context, `drain-${kind}-${processes}`, count);
  const running = await startConsumers(context, kind, processes, queue, stats, root);
  try {
    await waitEmpty(context, queue, assertAlive(running));
    // The last deliveries are still unacked in the consumers: give them time to finish.
    await sleep(300);
  } finally {
    await Promise.all(running.map((process) => process.stop()));
  }
  const record = mergeRecords(readRecords(stats));
  await deleteFamilies(context, [queue]);
  return {
    rate: steadyRate(record.slices, SLICE),
    count: record.count,
    cpuUs: (record.cpuMs * 1000) / record.count,
  };
}

export interface DrainFigures {
  /** msg/s per round, by `${kind}-${processes}`. */
  rates: Record<string, number[]>;
  /** CPU µs per message per round, by `${kind}-${processes}`. */
  cpuUs: Record<string, number[]>;
  /** Messages handled per run (each should be `messages`). */
  counts: number[];
}

/** Drain rounds for raw and opsq with 1 and 2 processes, interleaved round by round. */
export async function measureDrain(context: BenchContext, processCounts = [1, 2]): Promise<DrainFigures> {
  const figures: DrainFigures = { rates: {}, cpuUs: {}, counts: [] };
  for (let round = 0; round < context.rounds; round++) {
    for (const processes of processCounts) {
      const kinds: DrainKind[] = round % 2 === 0 ? ["raw", "opsq"] : ["opsq", "raw"];
      for (const kind of kinds) {
        const run = await drainOnce(context, kind, processes, context.messages);
        const key = `${kind}-${processes}`;
        figures.rates[key] = [...(figures.rates[key] ?? []), run.rate];
        figures.cpuUs[key] = [...(figures.cpuUs[key] ?? []), run.cpuUs];
        figures.counts.push(run.count);
      }
    }
  }
  return figures;
}

export const medianOf = (values: number[] | undefined) => median(values ?? []);
