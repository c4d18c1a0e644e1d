/**
 * ops-core end to end: runs the ops-core package's own benchmark,
 * `packages/ops-core/bench/throughput.ts`, in three scenarios, and reads its figures:
 *
 * 1. the fake LLM answering at once, concurrency 16, with the worker's start-up and the raw
 *    limit (the same statements, publishes and LLM request hand-written, same process layout);
 * 2. the fake LLM answering after 200 ms, concurrency 16 (ideal 80 tasks/s);
 * 3. the fake LLM answering after 1 s, concurrency 500, with the worker's RSS per in-flight task.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./processes.js";

/** One scenario's figures. */
export interface E2eScenario {
  /** Median tasks/s, or undefined when not measured. */
  tasksPerSecond: number | undefined;
  /** The command run, or why nothing was. */
  detail: string;
  /** Its per-run lines. */
  lines: string[];
}

export interface E2eFigures extends E2eScenario {
  /** Median start-up of `opsq worker ops-core/actors` in the ops-core bench, ms. */
  startupMs?: number | undefined;
  /** The raw limit of scenario 1 (median tasks/s). */
  rawTasksPerSecond?: number | undefined;
  /** Scenario 2: LLM 200 ms, concurrency 16. */
  delayed200?: E2eScenario;
  /** Scenario 3: LLM 1 s, concurrency 500. */
  delayed1s?: E2eScenario;
  /** Scenario 3: (peak − idle RSS) / LLM requests in flight at the peak, KiB. */
  rssPerInFlightKiB?: number | undefined;
  /** Scenario 3: the RSS line. */
  rssLine?: string | undefined;
}

const SCRIPT = "packages/ops-core/bench/throughput.ts";

/** Lines of the bench's output worth keeping in the report. */
const KEPT = /^(run \d+|raw run \d+|end-to-end|raw limit|LLM delay|worker RSS|worker start-up)/;

async function runBench(
  url: string,
  args: string[],
  timeoutMs: number,
): Promise<{ output: string; code: number | null; command: string }> {
  const command = `npx tsx ${[SCRIPT, ...args].join(" ")}`;
  const tsx = join(ROOT, "node_modules/tsx/dist/cli.mjs");
  const child = spawn(process.execPath, [tsx, SCRIPT, ...args], {
    cwd: ROOT,
    env: { ...process.env, RABBITMQ_URL: url, OPSQ_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { output, code, command };
}

function scenario(run: { output: string; code: number | null; command: string }): E2eScenario {
  const match = /end-to-end throughput, median of \d+ runs: ([\d.]+) tasks\/s/.exec(run.output);
  const lines = run.output.split("\n").filter((line) => KEPT.test(line));
  if (run.code !== 0 || match === null) {
    const reason = run.output.trim().split("\n").slice(-3).join(" ").slice(0, 300);
    return {
      tasksPerSecond: undefined,
      detail: `not measured: \`${run.command}\` exited with ${run.code}: ${reason}`,
      lines,
    };
  }
  return { tasksPerSecond: Number(match[1]), detail: run.command, lines };
}

const numberAfter = (pattern: RegExp, text: string): number | undefined => {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : undefined;
};

export async function measureOpsCoreE2e(url: string, timeoutMs = 150_000): Promise<E2eFigures> {
  if (!existsSync(join(ROOT, SCRIPT))) {
    return { tasksPerSecond: undefined, detail: `not measured: ${SCRIPT} does not exist yet`, lines: [] };
  }
  const fast = await runBench(url, ["--tasks", "2000", "--runs", "3", "--starts", "5", "--raw"], timeoutMs);
  const delayed200 = await runBench(
    url,
    ["--tasks", "400", "--runs", "1", "--starts", "0", "--concurrency", "16", "--llm-delay-ms", "200"],
    timeoutMs,
  );
  const delayed1s = await runBench(
    url,
    [
      ...["--tasks", "6000", "--runs", "1", "--starts", "0", "--submitters", "128"],
      ...["--concurrency", "500", "--llm-delay-ms", "1000", "--rss"],
    ],
    timeoutMs,
  );
  return {
    ...scenario(fast),
    startupMs: numberAfter(/worker start-up .*: median ([\d.]+) ms/, fast.output),
    rawTasksPerSecond: numberAfter(/raw limit .*median of \d+ runs: ([\d.]+) tasks\/s/, fast.output),
    delayed200: scenario(delayed200),
    delayed1s: scenario(delayed1s),
    rssPerInFlightKiB: numberAfter(/→ ([\d.]+) KiB per in-flight task/, delayed1s.output),
    rssLine: delayed1s.output.split("\n").find((line) => line.startsWith("worker RSS")),
  };
}
