/** Combined cells: P producers and W workers on one queue at once, for a fixed time. */
import { join } from "node:path";
import { type BenchContext, deleteFamilies, readyCount } from "../lib/amqp.js";
import type { Running } from "../lib/processes.js";
import { type CpuUse, startCpu } from "./cpu.js";
import { type ReadyProducers, startProducers } from "./producers.js";
import { freshQueue, type Target } from "./target.js";
import { collect, startWorkers, stopWorkers } from "./workers.js";

/** Every SLICE-th handler start and confirm is timed. */
const SLICE = 100;
/** The first second after the release is ramp-up, not counted. */
const RAMP_MS = 1000;

/** One combined run, over the steady window (release + 1 s → release + the cell's seconds). */
export interface CombinedRun {
  /** Handler starts per second. */
  processed: number;
  /** Confirmed sends per second. */
  enqueued: number;
  /** Ready messages left once the producers stopped. */
  backlog: number;
  failed: number;
  cpu: CpuUse;
}

const inWindow = (times: readonly number[], from: number, to: number) =>
  times.filter((t) => t >= from && t < to).length * SLICE;

/** `producers` producers and `workers` workers on a fresh queue for `seconds`. */
export async function combinedCell(
  context: BenchContext,
  target: Target,
  producers: number,
  workers: number,
  seconds: number,
): Promise<CombinedRun> {
  const queue = await freshQueue(context, target, `comb-${producers}x${workers}`);
  const stats = join(context.tmpdir, queue);
  let running: Running[] = [];
  let ready: ReadyProducers | undefined;
  try {
    const [w, p] = await Promise.allSettled([
      startWorkers(target, queue, stats, workers, { BENCH_SLICE: String(SLICE) }),
      startProducers(target, queue, producers, { seconds }, seconds * 1000 + 120_000),
    ]);
    if (w.status === "fulfilled") running = w.value;
    if (p.status === "fulfilled") ready = p.value;
    if (w.status === "rejected") throw w.reason;
    if (p.status === "rejected" || ready === undefined) throw (p as PromiseRejectedResult).reason;
    const cpu = startCpu(target.urls.length > 1);
    const { go, results } = ready.release();
    const all = await results;
    const used = cpu();
    const backlog = await readyCount(context, queue);
    await stopWorkers(running);
    const record = collect(stats);
    const from = go + RAMP_MS;
    const to = go + seconds * 1000;
    const windowS = (to - from) / 1000;
    return {
      processed: inWindow(record.slices, from, to) / windowS,
      enqueued:
        inWindow(
          all.flatMap((r) => r.slices),
          from,
          to,
        ) / windowS,
      backlog,
      failed: all.reduce((s, r) => s + r.failed, 0),
      cpu: used,
    };
  } finally {
    ready?.kill();
    await stopWorkers(running);
    await deleteFamilies(context, [queue]);
  }
}
