/**
 * The cluster chaos suite: runs the cluster scenarios against the local three-node RabbitMQ
 * cluster of `scripts/rabbitmq-cluster.sh` (which `npm run chaos:cluster` starts around it, and
 * stops afterwards unless it was already running), prints the same table as `npm run chaos`,
 * then the time from a node's death until consuming resumed (p50 and max); exits 1 when any
 * scenario fails.
 *
 * Usage:
 *   npm run chaos:cluster              # every scenario, full counts
 *   npm run chaos:cluster:short        # every scenario, CI counts
 *   RABBITMQ_URLS=… npx tsx chaos/cluster.ts [--short] [--only <name>[,<name>…]] [--list]
 *
 * Environment: RABBITMQ_URLS (the three nodes, set by `rabbitmq-cluster.sh run`), CHAOS_OUT
 * (default chaos/.out). Logs, records and results go to `<CHAOS_OUT>/<timestamp>-cluster-<mode>/`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterUrls } from "../packages/opsq/test/helpers/rabbitmq-cluster.js";
import { scenario as killLeader } from "./cluster-scenarios/kill-leader.js";
import { scenario as rollingRestart } from "./cluster-scenarios/rolling-restart.js";
import { scenario as stopApp } from "./cluster-scenarios/stop-app.js";
import type { ClusterScenario, ClusterScenarioResult } from "./lib/cluster-load.js";
import { percentile } from "./lib/resume.js";
import { errorText } from "./lib/scenario.js";
import { type Row, table } from "./lib/table.js";
import { killLeftovers } from "./lib/worker.js";

/** In run order. */
export const CLUSTER_SCENARIOS: readonly ClusterScenario[] = [killLeader, stopApp, rollingRestart];

interface Args {
  short: boolean;
  only: string[];
  list: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { short: false, only: [], list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--short") {
      args.short = true;
    } else if (arg === "--list") {
      args.list = true;
    } else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      if (value === undefined) {
        throw new Error("--only needs a scenario name");
      }
      args.only.push(...value.split(",").filter(Boolean));
    } else {
      throw new Error(`unknown argument ${arg} (use --short, --only <name>, --list)`);
    }
  }
  const unknown = args.only.filter((name) => !CLUSTER_SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(", ")}; known: ${CLUSTER_SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  }
  return args;
}

function failed(error: unknown): ClusterScenarioResult {
  return {
    sent: 0,
    confirmed: 0,
    processed: 0,
    deadLettered: 0,
    lost: 0,
    notes: [`FAIL crashed: ${errorText(error)}`],
    pass: false,
    resumeMs: [],
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const scenario of CLUSTER_SCENARIOS) {
      process.stdout.write(`${scenario.name.padEnd(24)} ${scenario.description}\n`);
    }
    return 0;
  }
  const urls = clusterUrls();
  const selected = CLUSTER_SCENARIOS.filter(
    (scenario) => args.only.length === 0 || args.only.includes(scenario.name),
  );
  const mode = args.short ? "short" : "full";
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const out = process.env.CHAOS_OUT ?? fileURLToPath(new URL("./.out", import.meta.url));
  const runDir = join(out, `${stamp}-cluster-${mode}`);
  mkdirSync(runDir, { recursive: true });
  const log = (text: string) => void process.stderr.write(`${text}\n`);
  log(`chaos:cluster (${mode}): ${selected.map((s) => s.name).join(", ")}\nlogs and records: ${runDir}`);

  const rows: Row[] = [];
  const resumeMs: number[] = [];
  try {
    for (const scenario of selected) {
      const dir = join(runDir, scenario.name);
      mkdirSync(dir, { recursive: true });
      log(`▶ ${scenario.name}: ${scenario.description}`);
      const started = performance.now();
      const result = await scenario
        .run({
          short: args.short,
          dir,
          runDir,
          rabbitUrl: urls[0]!,
          urls,
          databaseUrl: "",
          secrets: [],
          rabbitmqctl: true,
          log: (text) => log(`[${scenario.name}] ${text}`),
        })
        .catch(failed);
      const seconds = (performance.now() - started) / 1000;
      rows.push({ name: scenario.name, result, seconds });
      resumeMs.push(...result.resumeMs);
      writeFileSync(join(dir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
      log(`  ${result.pass ? "PASS" : "FAIL"} in ${seconds.toFixed(1)} s`);
      for (const note of result.notes) {
        log(`    ${note}`);
      }
    }
  } finally {
    await killLeftovers();
  }

  const text = table(rows);
  const resume =
    resumeMs.length === 0
      ? "resume after a node death: none measured"
      : `resume after a node death (per worker, ${resumeMs.length} samples): p50 ${(percentile(resumeMs, 0.5) / 1000).toFixed(2)} s, max ${(Math.max(...resumeMs) / 1000).toFixed(2)} s`;
  const notes = rows.map(({ name, result }) => `- **${name}**: ${result.notes.join("; ") || "-"}`).join("\n");
  writeFileSync(join(runDir, "results.md"), `${text}\n\n${resume}\n\n${notes}\n`);
  writeFileSync(join(runDir, "results.json"), `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write(`\n${text}\n\n${resume}\n\n`);
  const failures = rows.filter((row) => !row.result.pass);
  process.stdout.write(
    failures.length === 0
      ? `all ${rows.length} scenario(s) passed\n`
      : `${failures.length} scenario(s) failed: ${failures.map((row) => row.name).join(", ")}\n`,
  );
  return failures.length === 0 ? 0 : 1;
}

const code = await main().catch((error: unknown) => {
  process.stderr.write(`chaos:cluster: ${errorText(error)}\n`);
  return 1;
});
process.exit(code);
