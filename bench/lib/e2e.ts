/**
 * ops-core end to end (tasks/s, fake LLM answering at once): runs the ops-core package's own
 * benchmark, `packages/ops-core/bench/throughput.ts`, when it exists, and reads its median.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./processes.js";

export interface E2eFigures {
  /** Median tasks/s, or undefined when not measured. */
  tasksPerSecond: number | undefined;
  /** The command run, or why nothing was. */
  detail: string;
  /** Its per-run lines. */
  lines: string[];
}

const SCRIPT = "packages/ops-core/bench/throughput.ts";

export async function measureOpsCoreE2e(url: string, timeoutMs = 240_000): Promise<E2eFigures> {
  if (!existsSync(join(ROOT, SCRIPT))) {
    return { tasksPerSecond: undefined, detail: `not measured: ${SCRIPT} does not exist yet`, lines: [] };
  }
  const args = [SCRIPT, "--tasks", "200", "--runs", "3", "--starts", "1"];
  const command = `npx tsx ${args.join(" ")}`;
  const tsx = join(ROOT, "node_modules/tsx/dist/cli.mjs");
  const child = spawn(process.execPath, [tsx, ...args], {
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
  const match = /end-to-end throughput, median of \d+ runs: ([\d.]+) tasks\/s/.exec(output);
  const lines = output.split("\n").filter((line) => /^(run \d+|end-to-end)/.test(line));
  if (code !== 0 || match === null) {
    const reason = output.trim().split("\n").slice(-3).join(" ").slice(0, 300);
    return {
      tasksPerSecond: undefined,
      detail: `not measured: \`${command}\` exited with ${code}: ${reason}`,
      lines,
    };
  }
  return { tasksPerSecond: Number(match[1]), detail: command, lines };
}
