/** Drain cells: W worker processes on a pre-filled queue. */
import { join } from "node:path";
import { type BenchContext, deleteFamilies } from "../lib/amqp.js";
import { assertAlive } from "../lib/processes.js";
import { sleep, wallClock } from "../lib/stats.js";
import { type CpuUse, startCpu } from "./cpu.js";
import { freshQueue, type Target } from "./target.js";
import { collect, startWorkers, stopWorkers, waitEmpty } from "./workers.js";

/** One drain run; times are handler starts (the handler is a no-op). */
export interface DrainRun {
  /** Messages / (last handler start − spawn of the workers), msg/s: start-up included. */
  spawnRate: number;
  /** Messages / (last − first handler start), msg/s. */
  firstLastRate: number;
  /** CPU of the worker processes per message (each from its first message to its exit), µs. */
  workerCpuUs: number;
  /** Messages the workers handled (should be the prefill). */
  count: number;
  /** From the first poll (every 25 ms) that saw the queue shrink to the one that saw it empty. */
  cpu: CpuUse;
}

/** Pre-fills a queue with `messages` and drains it with `workers` processes. */
export async function drainCell(
  context: BenchContext,
  target: Target,
  workers: number,
  messages: number,
): Promise<DrainRun> {
  const queue = await freshQueue(context, target, `drain-${workers}`, messages);
  const stats = join(context.tmpdir, queue);
  const spawned = wallClock();
  const running = await startWorkers(target, queue, stats, workers);
  let used: CpuUse;
  try {
    let cpu = startCpu(target.urls.length > 1);
    await waitEmpty(context, queue, assertAlive(running), 180_000, messages, () => {
      cpu = startCpu(target.urls.length > 1);
    });
    used = cpu();
    // The last deliveries are still in the workers: give them time to finish.
    await sleep(300);
  } finally {
    await stopWorkers(running);
  }
  const record = collect(stats);
  await deleteFamilies(context, [queue]);
  return {
    spawnRate: (record.count * 1000) / (record.last - spawned),
    firstLastRate: (record.count * 1000) / (record.last - record.first),
    workerCpuUs: (record.cpuMs * 1000) / record.count,
    count: record.count,
    cpu: used,
  };
}
