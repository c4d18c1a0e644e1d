/** Worker processes of a cell: W separate `opsq worker` processes, worker i on node i mod nodes. */
import { type BenchContext, readyCount } from "../lib/amqp.js";
import {
  mergeRecords,
  type Running,
  readRecords,
  startStatsWorker,
  type WorkerRecord,
} from "../lib/processes.js";
import { sleep } from "../lib/stats.js";
import { nodeOf, type Target, targetEnv } from "./target.js";

/** Starts `count` workers on `queue` (concurrency 50, prefetch 100), each recording to `${stats}-<pid>.json`. */
export async function startWorkers(
  target: Target,
  queue: string,
  stats: string,
  count: number,
  env: Record<string, string> = {},
): Promise<Running[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startStatsWorker(nodeOf(target, i), { queue, stats, env: { ...targetEnv(target, i, queue), ...env } }),
    ),
  );
  const running = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stopWorkers(running);
    throw (failed as PromiseRejectedResult).reason;
  }
  return running;
}

/** SIGTERM to each, SIGKILL to those still running after `timeoutMs`. */
export async function stopWorkers(running: readonly Running[], timeoutMs = 30_000): Promise<void> {
  await Promise.all(
    running.map(async (worker) => {
      const timer = setTimeout(() => worker.child.kill("SIGKILL"), timeoutMs);
      try {
        await worker.stop();
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** The merged record of the workers that wrote one (a worker killed writes none). */
export function collect(stats: string): WorkerRecord {
  return mergeRecords(readRecords(stats));
}

/**
 * Polls (every 25 ms) until the queue has no ready message, at most `timeoutMs`; `check` may throw;
 * `onFirstDrop` runs once, at the first poll that sees fewer than `initial` ready messages.
 */
export async function waitEmpty(
  context: BenchContext,
  queue: string,
  check: () => void,
  timeoutMs: number,
  initial = Number.POSITIVE_INFINITY,
  onFirstDrop: () => void = () => {},
) {
  const deadline = Date.now() + timeoutMs;
  let dropped = false;
  for (let ready = await readyCount(context, queue); ready > 0; ready = await readyCount(context, queue)) {
    if (!dropped && ready < initial) {
      dropped = true;
      onFirstDrop();
    }
    check();
    if (Date.now() > deadline) throw new Error(`${queue} not drained within ${timeoutMs} ms`);
    await sleep(25);
  }
}
