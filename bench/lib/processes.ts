/** Subprocesses of the benchmark: `opsq worker …` and raw amqplib consumers, their records and RSS. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { wallClock } from "./stats.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const OPSQ_CLI = join(ROOT, "packages/opsq/dist/cli/main.js");
export const STATS_ACTORS = join(ROOT, "bench/fixtures/stats-actors.mjs");
export const RAW_CONSUMER = join(ROOT, "bench/fixtures/raw-consumer.mjs");

/** What a worker process recorded (see fixtures/stats-actors.mjs). */
export interface WorkerRecord {
  count: number;
  /** Wall-clock ms of the first and last handler start. */
  first: number;
  last: number;
  /** Wall-clock ms of every BENCH_SLICE-th handler start. */
  slices: number[];
  /** Send → handler start, ms. */
  latencies: number[];
  /** CPU time (user + system) from the first message to the exit, ms. */
  cpuMs: number;
  /** With --expose-gc, at every slice: RSS and heap size before, live heap after a full GC (bytes). */
  memory?: { rss: number; heapTotal: number; liveHeap: number }[];
}

/** A running process that printed its ready line(s). */
export interface Running {
  readonly child: ChildProcess;
  /** ms from spawn to the last expected ready line. */
  readonly readyMs: number;
  /** SIGTERM, then resolves with ms from the signal to the exit. */
  stop(): Promise<number>;
  output(): string;
}

/**
 * Spawns `node <args>` and resolves once `readyLines` lines match `ready`.
 * @throws with the output when it exits first or is not ready within `timeoutMs`
 */
export function spawnReady(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { ready?: RegExp; readyLines?: number; timeoutMs?: number; cwd?: string } = {},
): Promise<Running> {
  const ready = options.ready ?? /worker ready/;
  const wanted = options.readyLines ?? 1;
  const spawned = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let pending = "";
  let seen = 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready within ${options.timeoutMs ?? 30_000} ms:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${output}`));
    };
    child.once("exit", onExit);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (ready.test(line) && ++seen === wanted) {
          const readyMs = performance.now() - spawned;
          clearTimeout(timer);
          child.off("exit", onExit);
          resolve({
            child,
            readyMs,
            output: () => output,
            stop: async () => {
              const signalled = performance.now();
              child.kill("SIGTERM");
              await exited;
              return performance.now() - signalled;
            },
          });
        }
      }
    });
  });
}

/** Options of {@link startStatsWorker} and {@link startRawConsumer}. */
export interface ConsumerOptions {
  /** The queue to consume. */
  queue: string;
  /** The prefix of the records the consumers write (`${stats}-<pid>.json`). */
  stats: string;
  /** More environment (`BENCH_SLICE`, `BENCH_PREFETCH`). */
  env?: Record<string, string>;
  /** Node options ahead of the script (`--expose-gc`, `--cpu-prof`). */
  nodeArgs?: readonly string[];
}

/** Options of {@link startStatsWorker}. */
export interface StatsWorkerOptions extends ConsumerOptions {
  /** `--processes`; without it the CLI's default (one process, no supervisor). */
  processes?: number;
  /** The checkout whose built CLI and stats actors run. @default ROOT */
  root?: string;
}

/** Starts `opsq worker` on the stats actors (concurrency 50); resolves once each of its processes is ready. */
export function startStatsWorker(url: string, options: StatsWorkerOptions): Promise<Running> {
  const root = options.root ?? ROOT;
  const args = [
    ...(options.nodeArgs ?? []),
    join(root, relative(ROOT, OPSQ_CLI)),
    "worker",
    join(root, relative(ROOT, STATS_ACTORS)),
    "--concurrency",
    "50",
    ...(options.processes === undefined ? [] : ["--processes", String(options.processes)]),
  ];
  return spawnReady(args, consumerEnv(url, options), { readyLines: options.processes ?? 1 });
}

/** Starts one raw amqplib consumer (fixtures/raw-consumer.mjs); resolves once it consumes. */
export function startRawConsumer(url: string, options: ConsumerOptions): Promise<Running> {
  return spawnReady([...(options.nodeArgs ?? []), RAW_CONSUMER], consumerEnv(url, options), {
    ready: /^ready$/,
  });
}

function consumerEnv(url: string, options: ConsumerOptions): NodeJS.ProcessEnv {
  return benchEnv(url, { BENCH_QUEUE: options.queue, BENCH_STATS: options.stats, ...options.env });
}

/** The environment of a benchmark subprocess: this one's, with the queue, broker and records path. */
export function benchEnv(url: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, RABBITMQ_URL: url, OPSQ_LOG_LEVEL: "info", ...extra };
}

/** Reads and deletes every `${prefix}-<pid>.json`. */
export function readRecords(prefix: string): WorkerRecord[] {
  const dir = join(prefix, "..");
  const base = prefix.slice(dir.length + 1);
  const records: WorkerRecord[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`${base}-`) && name.endsWith(".json")) {
      records.push(JSON.parse(readFileSync(join(dir, name), "utf8")) as WorkerRecord);
      rmSync(join(dir, name));
    }
  }
  return records;
}

/** Merges the records of several processes: total count, earliest first, latest last. */
export function mergeRecords(records: readonly WorkerRecord[]): WorkerRecord {
  return {
    count: records.reduce((sum, r) => sum + r.count, 0),
    first: Math.min(...records.filter((r) => r.count > 0).map((r) => r.first)),
    last: Math.max(...records.map((r) => r.last)),
    slices: records.flatMap((r) => r.slices).sort((a, b) => a - b),
    latencies: records.flatMap((r) => r.latencies),
    cpuMs: records.reduce((sum, r) => sum + r.cpuMs, 0),
  };
}

/** Resident set size of a process, in MB (Linux /proc), or NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

export { wallClock };

/** Throws when one of the processes has exited (a consumer killed by a forced connection close). */
export function assertAlive(running: readonly Running[]): () => void {
  return () => {
    const dead = running.find(
      (process) => process.child.exitCode !== null || process.child.signalCode !== null,
    );
    if (dead)
      throw new Error(
        `a consumer process exited with ${dead.child.exitCode ?? dead.child.signalCode}:\n${dead.output()}`,
      );
  };
}
