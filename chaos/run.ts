/**
 * The chaos suite: runs every scenario (or `--only` some) against the live RabbitMQ and
 * PostgreSQL and prints a table; exits 1 when any scenario fails.
 *
 * Usage:
 *   npm run chaos                      # every scenario, full counts
 *   npm run chaos:short                # every scenario, CI counts (under ~90 s)
 *   npx tsx chaos/run.ts [--short] [--only <name>[,<name>…]]… [--no-disruptive] [--list]
 *
 * Environment: RABBITMQ_URL (an administrator account; default amqp://guest:guest@127.0.0.1:5672),
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), CHAOS_OUT (default chaos/.out),
 * CHAOS_PG_CLUSTER (version and name for pg_ctlcluster; default: the cluster on port 5432).
 *
 * Logs, records and results of a run go to `<CHAOS_OUT>/<timestamp>-<mode>/`.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { probePostgres } from "./lib/pg.js";
import { ADMIN_URL, createRunUser, ensureRabbitRunning, hasRabbitmqctl, type RunUser } from "./lib/rabbit.js";
import { errorText, type Scenario, type ScenarioOptions, type ScenarioResult } from "./lib/scenario.js";
import { type Row, table } from "./lib/table.js";
import { killLeftovers } from "./lib/worker.js";
import { scenario as cancel } from "./scenarios/cancel.js";
import { scenario as connectionDrop } from "./scenarios/connection-drop.js";
import { scenario as connectionDropAll } from "./scenarios/connection-drop-all.js";
import { scenario as crashLoop } from "./scenarios/crash-loop.js";
import { scenario as gracefulShutdown } from "./scenarios/graceful-shutdown.js";
import { scenario as longDelay } from "./scenarios/long-delay.js";
import { scenario as opsCoreRabbitmqOutage } from "./scenarios/ops-core-rabbitmq-outage.js";
import { scenario as opsCoreSigkill } from "./scenarios/ops-core-sigkill.js";
import { scenario as poison } from "./scenarios/poison.js";
import { scenario as postgresOutage } from "./scenarios/postgres-outage.js";
import { scenario as postgresRestart } from "./scenarios/postgres-restart.js";
import { scenario as rabbitmqRestart } from "./scenarios/rabbitmq-restart.js";
import { scenario as security } from "./scenarios/security.js";
import { scenario as sigkill } from "./scenarios/sigkill.js";
import { scenario as sigkillProcesses2 } from "./scenarios/sigkill-processes-2.js";

/** In run order: the quiet ones first, the disruptive ones next, security last (it greps every log). */
export const SCENARIOS: readonly Scenario[] = [
  poison,
  crashLoop,
  gracefulShutdown,
  cancel,
  sigkill,
  sigkillProcesses2,
  connectionDrop,
  opsCoreSigkill,
  connectionDropAll,
  rabbitmqRestart,
  opsCoreRabbitmqOutage,
  postgresRestart,
  postgresOutage,
  longDelay,
  security,
];

interface Args {
  short: boolean;
  only: string[];
  disruptive: boolean;
  list: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { short: false, only: [], disruptive: true, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--short") {
      args.short = true;
    } else if (arg === "--only") {
      const value = argv[++i];
      if (value === undefined) {
        throw new Error("--only needs a scenario name");
      }
      args.only.push(...value.split(",").filter(Boolean));
    } else if (arg.startsWith("--only=")) {
      args.only.push(...arg.slice("--only=".length).split(",").filter(Boolean));
    } else if (arg === "--no-disruptive") {
      args.disruptive = false;
    } else if (arg === "--list") {
      args.list = true;
    } else {
      throw new Error(`unknown argument ${arg} (use --short, --only <name>, --no-disruptive, --list)`);
    }
  }
  const unknown = args.only.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  }
  return args;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const scenario of SCENARIOS) {
      process.stdout.write(
        `${scenario.name.padEnd(22)} ${scenario.disruptive ? "disruptive " : "           "}${scenario.description}\n`,
      );
    }
    return 0;
  }
  const selected = SCENARIOS.filter(
    (scenario) =>
      (args.only.length === 0 || args.only.includes(scenario.name)) &&
      (args.disruptive || !scenario.disruptive || args.only.includes(scenario.name)),
  );
  const mode = args.short ? "short" : "full";
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const out = process.env.CHAOS_OUT ?? fileURLToPath(new URL("./.out", import.meta.url));
  const runDir = join(out, `${stamp}-${mode}`);
  mkdirSync(runDir, { recursive: true });
  const log = (text: string) => void process.stderr.write(`${text}\n`);
  log(`chaos (${mode}): ${selected.map((s) => s.name).join(", ")}\nlogs and records: ${runDir}`);

  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) {
      process.exit(130);
    }
    interrupted = true;
    log("interrupted: finishing the current scenario's clean-up, skipping the rest (again to quit now)");
  });

  const rabbitmqctl = await hasRabbitmqctl();
  let user: RunUser | undefined;
  const secrets: string[] = [];
  let rabbitUrl = ADMIN_URL;
  if (rabbitmqctl) {
    await ensureRabbitRunning();
    user = await createRunUser();
    rabbitUrl = user.url;
    secrets.push(user.password);
  } else {
    const password = decodeURIComponent(new URL(ADMIN_URL).password);
    if (password.length >= 6) {
      secrets.push(password);
    }
    log("rabbitmqctl unavailable: the scenarios that need it are skipped");
  }
  const databaseUrl = await databaseUrlWithSecret(secrets);
  const rows: Row[] = [];
  try {
    for (const scenario of selected) {
      if (interrupted) {
        break;
      }
      const dir = join(runDir, scenario.name);
      mkdirSync(dir, { recursive: true });
      const options: ScenarioOptions = {
        short: args.short,
        dir,
        runDir,
        rabbitUrl,
        databaseUrl,
        secrets,
        rabbitmqctl,
        log: (text) => log(`[${scenario.name}] ${text}`),
      };
      log(`▶ ${scenario.name}: ${scenario.description}`);
      const started = performance.now();
      const running = scenario.run(options).catch(
        (error: unknown): ScenarioResult => ({
          sent: 0,
          confirmed: 0,
          processed: 0,
          deadLettered: 0,
          lost: 0,
          notes: [`FAIL crashed: ${errorText(error)}`],
          pass: false,
        }),
      );
      let result = await withTimeout(running, args.short ? 120_000 : 600_000);
      if (result === "timeout") {
        log(`  ${scenario.name} overran its time budget; killing its workers and waiting for its clean-up`);
        await killLeftovers();
        const late = await withTimeout(running, 120_000);
        result = {
          ...(late === "timeout"
            ? { sent: 0, confirmed: 0, processed: 0, deadLettered: 0, lost: 0, notes: [] }
            : late),
          pass: false,
        };
        result.notes = ["FAIL overran its time budget", ...result.notes];
      }
      const seconds = (performance.now() - started) / 1000;
      rows.push({ name: scenario.name, result, seconds });
      writeFileSync(join(dir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
      log(`  ${result.skipped ? "SKIP" : result.pass ? "PASS" : "FAIL"} in ${seconds.toFixed(1)} s`);
      for (const note of result.notes) {
        log(`    ${note}`);
      }
    }
  } finally {
    await killLeftovers();
    if (user !== undefined) {
      await user
        .remove()
        .catch((error: unknown) => log(`could not delete RabbitMQ user ${user?.name}: ${errorText(error)}`));
    }
  }

  const text = table(rows);
  const notes = rows.map(({ name, result }) => `- **${name}**: ${result.notes.join("; ") || "-"}`).join("\n");
  writeFileSync(join(runDir, "results.md"), `${text}\n\n${notes}\n`);
  writeFileSync(join(runDir, "results.json"), `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write(`\n${text}\n\n`);
  const failed = rows.filter((row) => !row.result.pass);
  process.stdout.write(
    failed.length === 0
      ? `all ${rows.length} scenario(s) passed (${rows.filter((r) => r.result.skipped).length} skipped)\n`
      : `${failed.length} scenario(s) failed: ${failed.map((row) => row.name).join(", ")}\n`,
  );
  return failed.length === 0 && !interrupted ? 0 : 1;
}

/**
 * `DATABASE_URL`, with a throw-away password added when it has none (trust auth ignores it),
 * so that the suite can check that no log shows the database password.
 */
async function databaseUrlWithSecret(secrets: string[]): Promise<string> {
  const base = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
  const url = new URL(base);
  if (url.password !== "") {
    secrets.push(decodeURIComponent(url.password));
    return base;
  }
  url.password = `pgpw-${randomBytes(10).toString("hex")}`;
  const withPassword = url.toString();
  if ((await probePostgres(withPassword)) === null) {
    secrets.push(url.password);
    return withPassword;
  }
  return base;
}

const code = await main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${errorText(error)}\n`);
  return 1;
});
process.exit(code);
