/** Producer processes (bench/fixtures/producer.mjs): started, warmed up, released together, collected. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../lib/processes.js";
import { wallClock } from "../lib/stats.js";
import { type Target, targetEnv } from "./target.js";

const PRODUCER = join(ROOT, "bench/fixtures/producer.mjs");

/** What one producer reported (see the fixture). */
export interface ProducerResult {
  confirmed: number;
  failed: number;
  lastConfirm: number;
  /** Wall-clock ms of every `slice`-th confirm. */
  slices: number[];
  cpuMs: number;
}

/** Producers that printed "ready"; `release()` lets them all go and resolves with their results. */
export interface ReadyProducers {
  release(): { go: number; results: Promise<ProducerResult[]> };
  kill(): void;
}

/** How the producers send: a count each (`send()` or `sendMany`) or for a time. */
export type ProducerWork = { messages: number; mode: "send" | "sendMany" } | { seconds: number };

function startOne(target: Target, index: number, queue: string, work: ProducerWork, timeoutMs: number) {
  const env = {
    ...process.env,
    ...targetEnv(target, index, queue),
    OPSQ_LOG_LEVEL: "warn",
    BENCH_WARMUP: "500",
    ...("seconds" in work
      ? { BENCH_SECONDS: String(work.seconds) }
      : { BENCH_MESSAGES: String(work.messages), BENCH_MODE: work.mode }),
  };
  const child = spawn(process.execPath, [PRODUCER], { env, stdio: ["pipe", "pipe", "inherit"] });
  let output = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      if (/^ready$/m.test(output)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`producer exited with ${code} before ready`)));
  });
  const result = new Promise<ProducerResult>((resolve, reject) => {
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const last = output.trim().split("\n").at(-1)!;
      if (code !== 0 || !last.startsWith("{")) reject(new Error(`producer exited with ${code ?? signal}`));
      else resolve(JSON.parse(last) as ProducerResult);
    });
  });
  result.catch(() => {});
  return { child, ready, result };
}

/**
 * Starts `count` producers (producer i on node i mod nodes) and resolves once all are ready.
 * Every process is killed after `timeoutMs`.
 */
export async function startProducers(
  target: Target,
  queue: string,
  count: number,
  work: ProducerWork,
  timeoutMs = 120_000,
): Promise<ReadyProducers> {
  const started = Array.from({ length: count }, (_, i) => startOne(target, i, queue, work, timeoutMs));
  const kill = () => {
    for (const { child } of started) if (child.exitCode === null) child.kill("SIGKILL");
  };
  try {
    await Promise.all(started.map((p) => p.ready));
  } catch (error) {
    kill();
    throw error;
  }
  return {
    kill,
    release: () => {
      const go = wallClock();
      for (const { child } of started) (child as ChildProcess).stdin!.end("go\n");
      return { go, results: Promise.all(started.map((p) => p.result)) };
    },
  };
}
