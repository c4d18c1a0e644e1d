/**
 * Throughput, opsq vs raw amqplib on the same broker:
 * - enqueue (in this process): raw `publish` on a confirm channel, confirms awaited at the end,
 *   vs `actor.send()` for every message, all awaited (opsq confirms each one);
 * - drain (in subprocesses): a queue pre-filled with N messages, drained by raw amqplib consumers
 *   (prefetch 100, JSON.parse, acks batched with `multiple`) in P processes vs
 *   `opsq worker --processes P --concurrency 50` (prefetch 100). Three rates per run, see
 *   {@link DrainRun}; CPU per message of the consumer processes and of the whole machine.
 * Enqueue CPU is the benchmark process's and the whole machine's (RabbitMQ included).
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
import { machineBusyMs } from "./machine.js";
import {
  assertAlive,
  mergeRecords,
  ROOT,
  type Running,
  readRecords,
  startRawConsumer,
  startStatsWorker,
} from "./processes.js";
import { median, sleep, wallClock } from "./stats.js";

export interface EnqueueFigures {
  /** msg/s per round. */
  raw: number[];
  opsq: number[];
  /** CPU of this (the publishing) process per message, µs, per round. */
  rawCpuUs: number[];
  opsqCpuUs: number[];
  /** Busy CPU of the whole machine (RabbitMQ included) per message, µs, per round. */
  rawMachineCpuUs: number[];
  opsqMachineCpuUs: number[];
}

// Runs `measure`: its rate, this process's and the whole machine's CPU per message (µs).
async function timed(count: number, measure: () => Promise<number>): Promise<[number, number, number]> {
  const cpu = process.cpuUsage();
  const busy = machineBusyMs();
  const rate = await measure();
  const used = process.cpuUsage(cpu);
  return [rate, (used.user + used.system) / count, ((machineBusyMs() - busy) * 1000) / count];
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
  const figures: EnqueueFigures = {
    raw: [],
    opsq: [],
    rawCpuUs: [],
    opsqCpuUs: [],
    rawMachineCpuUs: [],
    opsqMachineCpuUs: [],
  };
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
        const [rate, cpuUs, machineUs] = await timed(context.messages, () =>
          rawPublish(context, rawQueue, context.messages, (i) => statsBody(rawQueue, i)),
        );
        figures.raw.push(rate);
        figures.rawCpuUs.push(cpuUs);
        figures.rawMachineCpuUs.push(machineUs);
      };
      const opsq = async () => {
        const [rate, cpuUs, machineUs] = await timed(context.messages, () =>
          opsqSend(broker, opsqQueue, context.messages),
        );
        figures.opsq.push(rate);
        figures.opsqCpuUs.push(cpuUs);
        figures.opsqMachineCpuUs.push(machineUs);
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

/** One drain run; every time is a handler start (the handler is a no-op, so ≈ its end). */
export interface DrainRun {
  /** Steady state, msg/s: every 500th handler start of all processes merged, the first 10 % dropped. */
  rate: number;
  /** msg/s from the spawn of the consumer processes to the last handler start (start-up included). */
  spawnRate: number;
  /** msg/s from the first to the last handler start: messages / (last − first). */
  firstLastRate: number;
  count: number;
  /** CPU time of the consumer processes per message, from each one's first message to its exit, µs. */
  cpuUs: number;
  /** Busy CPU of the whole machine (RabbitMQ included) per message, spawn → queue empty, µs. */
  machineCpuUs: number;
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
  const spawned = wallClock();
  const busy = machineBusyMs();
  const running = await startConsumers(context, kind, processes, queue, stats, root);
  let machineMs = Number.NaN;
  try {
    await waitEmpty(context, queue, assertAlive(running));
    machineMs = machineBusyMs() - busy;
    // The last deliveries are still unacked in the consumers: give them time to finish.
    await sleep(300);
  } finally {
    await Promise.all(running.map((process) => process.stop()));
  }
  const record = mergeRecords(readRecords(stats));
  await deleteFamilies(context, [queue]);
  return {
    rate: steadyRate(record.slices, SLICE),
    spawnRate: (record.count * 1000) / (record.last - spawned),
    firstLastRate: (record.count * 1000) / (record.last - record.first),
    count: record.count,
    cpuUs: (record.cpuMs * 1000) / record.count,
    machineCpuUs: (machineMs * 1000) / record.count,
  };
}

/** Per round, by `${kind}-${processes}` (see {@link DrainRun} for what each measures). */
export interface DrainFigures {
  /** Steady-state msg/s. */
  rates: Record<string, number[]>;
  /** Spawn → last handler start, msg/s. */
  spawnRates: Record<string, number[]>;
  /** First → last handler start, msg/s. */
  firstLastRates: Record<string, number[]>;
  /** CPU µs per message of the consumer processes. */
  cpuUs: Record<string, number[]>;
  /** Busy CPU µs per message of the whole machine. */
  machineCpuUs: Record<string, number[]>;
  /** Messages handled per run (each should be `messages`). */
  counts: number[];
}

/** Drain rounds of `count` messages for raw and opsq with 1 and 2 processes, interleaved round by round. */
export async function measureDrain(
  context: BenchContext,
  count: number,
  processCounts = [1, 2],
): Promise<DrainFigures> {
  const figures: DrainFigures = {
    rates: {},
    spawnRates: {},
    firstLastRates: {},
    cpuUs: {},
    machineCpuUs: {},
    counts: [],
  };
  const add = (into: Record<string, number[]>, key: string, value: number) => {
    into[key] = [...(into[key] ?? []), value];
  };
  for (let round = 0; round < context.rounds; round++) {
    for (const processes of processCounts) {
      const kinds: DrainKind[] = round % 2 === 0 ? ["raw", "opsq"] : ["opsq", "raw"];
      for (const kind of kinds) {
        const run = await drainOnce(context, kind, processes, count);
        const key = `${kind}-${processes}`;
        add(figures.rates, key, run.rate);
        add(figures.spawnRates, key, run.spawnRate);
        add(figures.firstLastRates, key, run.firstLastRate);
        add(figures.cpuUs, key, run.cpuUs);
        add(figures.machineCpuUs, key, run.machineCpuUs);
        figures.counts.push(run.count);
      }
    }
  }
  return figures;
}

export const medianOf = (values: number[] | undefined) => median(values ?? []);
