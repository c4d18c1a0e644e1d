/**
 * One measured run of a peer: an enqueue (in a child process, bench/peers/enqueue-child.ts) or a
 * drain (a pre-filled queue, then the peer's worker process spawned and timed to its last job).
 * CPU is the whole machine's busy time (every core: the servers and anything else running included).
 */
import { join } from "node:path";
import { machineBusyMs } from "../lib/machine.js";
import { assertAlive, mergeRecords, ROOT, readRecords, spawnReady } from "../lib/processes.js";
import { sleep, wallClock } from "../lib/stats.js";
import type { Peer, PeerSettings } from "./peer.js";

const CHILD = join(ROOT, "bench/peers/enqueue-child.ts");

/** One at a time (every call issued, then all awaited) or in batches. */
export type EnqueueMode = "one" | "batch";

/** What an enqueue process prints. */
export interface EnqueueResult {
  /** Jobs per second. */
  rate: number;
  /** CPU of the enqueueing process per job, µs. */
  processCpuUs: number;
  /** Busy CPU of the whole machine per job over the same span, µs. */
  machineCpuUs: number;
}

/** One drain run. */
export interface DrainResult {
  /** Jobs / (last handler start − spawn of the worker process), per second. */
  spawnRate: number;
  /** Jobs / (last − first handler start), per second. */
  firstLastRate: number;
  /** Busy CPU of the whole machine per job, spawn → queue empty, µs. */
  machineCpuUs: number;
  /** CPU of the worker process per job, first job → exit, µs. */
  processCpuUs: number;
  /** Jobs the worker handled (should be the count enqueued). */
  count: number;
}

/**
 * Enqueues `count` jobs into a fresh queue of `peer` from a child process (after its warm-up of
 * `warmup` jobs), then deletes the queue.
 * @throws when the child fails or does not finish within `timeoutMs`
 */
export async function enqueueRun(
  peer: Peer,
  settings: PeerSettings,
  mode: EnqueueMode,
  count: number,
  options: { warmup: number; timeoutMs: number },
): Promise<EnqueueResult> {
  const queue = await peer.createQueue(`enq-${mode}`);
  try {
    const child = await spawnReady(
      ["--import", "tsx", CHILD],
      {
        ...process.env,
        BENCH_PEER: peer.name,
        BENCH_MODE: mode,
        BENCH_QUEUE: queue,
        BENCH_MESSAGES: String(count),
        BENCH_WARMUP: String(options.warmup),
        BENCH_SETTINGS: JSON.stringify(settings),
        OPSQ_LOG_LEVEL: "warn",
      },
      { ready: /^\{"rate"/, timeoutMs: options.timeoutMs },
    );
    // It closes its connections and exits by itself; SIGTERM only when that takes over 10 s.
    const exited = new Promise((resolve) => {
      if (child.child.exitCode !== null) resolve(undefined);
      else child.child.once("exit", resolve);
    });
    if ((await Promise.race([exited, sleep(10_000).then(() => "late")])) === "late") await child.stop();
    const line = child
      .output()
      .split("\n")
      .find((text) => text.startsWith('{"rate"'));
    return JSON.parse(line!) as EnqueueResult;
  } finally {
    await peer.deleteQueue(queue);
  }
}

/**
 * Pre-fills a fresh queue of `peer` with `count` jobs (batched), spawns its worker and waits,
 * polling every 50 ms, until nothing is left, then stops the worker and reads its record.
 * @throws when the worker dies or the queue is not drained within `timeoutMs`
 */
export async function drainRun(
  peer: Peer,
  settings: PeerSettings,
  count: number,
  timeoutMs: number,
): Promise<DrainResult> {
  const queue = await peer.createQueue("drain");
  const stats = join(settings.tmpdir, queue);
  try {
    await peer.enqueueBatch(queue, count);
    const spawned = wallClock();
    const busy = machineBusyMs();
    const worker = await peer.startWorker(queue, stats);
    let machineMs = Number.NaN;
    try {
      const alive = assertAlive([worker]);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = await peer.remaining(queue);
        if (left === 0) break;
        alive();
        if (Date.now() > deadline) {
          throw new Error(
            `${peer.name}: drain stuck, ${left} of ${count} jobs left after ${timeoutMs / 1000} s`,
          );
        }
        await sleep(50);
      }
      machineMs = machineBusyMs() - busy;
      // Deliveries still in the worker (opsq's unacked ones are not counted as remaining): let them finish.
      await sleep(300);
    } finally {
      await worker.stop();
    }
    const record = mergeRecords(readRecords(stats));
    return {
      spawnRate: (record.count * 1000) / (record.last - spawned),
      firstLastRate: (record.count * 1000) / (record.last - record.first),
      machineCpuUs: (machineMs * 1000) / record.count,
      processCpuUs: (record.cpuMs * 1000) / record.count,
      count: record.count,
    };
  } finally {
    readRecords(stats);
    await peer.deleteQueue(queue);
  }
}
