/**
 * Is the dashboard cheap? A queue pre-filled with N messages (the drain section's count) is drained by `opsq worker` (one
 * process, concurrency 50; its heartbeat on, as always) with no dashboard, and with
 * `startDashboard` open on it and three pages (Queues, Workers, Delayed) each refreshed every
 * second, as three browser tabs would. Rounds alternate which goes first; the rate is taken
 * after the first 10 %, as for the drain section, and the ratio is the median of each round's
 * with / without (on a shared machine, neighbouring runs are the fairest pairs). The dashboard
 * runs in this process: its CPU time is this process's, with the dashboard minus without.
 */
import { startDashboard } from "opsq/dashboard";
import { type BenchContext, deleteFamilies, prefilledStatsQueue, waitEmpty } from "./amqp.js";
import { assertAlive, mergeRecords, readRecords, startStatsWorker } from "./processes.js";
import { median, sleep } from "./stats.js";
import { steadyRate } from "./throughput.js";

export interface DashboardFigures {
  /** msg/s per round without the dashboard. */
  without: number[];
  /** msg/s per round with the dashboard open and refreshing every second. */
  with: number[];
  /** CPU time of this process (the dashboard and the page loads, when open) per second of drain, ms. */
  cpuMsPerSecond: { without: number[]; with: number[] };
  /** Page loads the dashboard answered during the "with" rounds. */
  pageLoads: number;
  /** Page loads that failed (non-200). */
  failedLoads: number;
}

/** Messages each process notes a time for. */
const SLICE = 500;
/** The pages a user keeps open. */
const PAGES = ["queues", "workers", "delayed"];

/**
 * `rounds` rounds of a drain of `count` messages without and with the dashboard open,
 * alternating which goes first.
 */
export async function measureDashboard(
  context: BenchContext,
  count: number,
  rounds = context.rounds,
): Promise<DashboardFigures> {
  const figures: DashboardFigures = {
    without: [],
    with: [],
    cpuMsPerSecond: { without: [], with: [] },
    pageLoads: 0,
    failedLoads: 0,
  };
  for (let round = 0; round < rounds; round++) {
    for (const open of round % 2 === 0 ? [false, true] : [true, false]) {
      const { rate, cpuMsPerSecond } = await drain(context, count, open, figures);
      (open ? figures.with : figures.without).push(rate);
      figures.cpuMsPerSecond[open ? "with" : "without"].push(cpuMsPerSecond);
    }
  }
  return figures;
}

/** The median of each round's with / without. */
export function pairedRatio(figures: DashboardFigures): number {
  const ratios = figures.with.map((rate, i) => rate / figures.without[i]!);
  return median(ratios);
}

async function drain(
  context: BenchContext,
  count: number,
  open: boolean,
  figures: DashboardFigures,
): Promise<{ rate: number; cpuMsPerSecond: number }> {
  const { queue, stats } = await prefilledStatsQueue(context, `dash-${open ? "on" : "off"}`, count);
  const dashboard = open
    ? await startDashboard({ port: 0, brokerUrl: context.url, queues: [queue] })
    : undefined;
  let refreshing = true;
  const tabs = PAGES.map(async (page) => {
    while (refreshing && dashboard !== undefined) {
      const started = performance.now();
      const response = await fetch(`${dashboard.url}${page}`, { headers: { "x-opsq-refresh": "1" } }).catch(
        () => undefined,
      );
      await response?.text();
      figures.pageLoads += 1;
      if (response?.status !== 200) {
        figures.failedLoads += 1;
      }
      await sleep(Math.max(0, 1_000 - (performance.now() - started)));
    }
  });
  const worker = await startStatsWorker(context.url, {
    queue,
    stats,
    env: { BENCH_PREFETCH: "100", BENCH_SLICE: String(SLICE) },
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let cpuMsPerSecond = 0;
  try {
    await waitEmpty(context, queue, assertAlive([worker]));
    const used = process.cpuUsage(cpu);
    cpuMsPerSecond = (used.user + used.system) / 1_000 / ((performance.now() - started) / 1_000);
    await sleep(300);
  } finally {
    await worker.stop();
    refreshing = false;
    await Promise.all(tabs);
    await dashboard?.close();
  }
  const record = mergeRecords(readRecords(stats));
  await deleteFamilies(context, [queue]);
  return { rate: steadyRate(record.slices, SLICE), cpuMsPerSecond };
}
