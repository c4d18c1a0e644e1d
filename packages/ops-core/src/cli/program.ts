/**
 * The `ops-core` command line without the process-level parts, so tests can run it:
 * {@link runCli} returns the exit code and never throws.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { AGENT_TASK_TYPE } from "../agent-task-input.js";
import { TASK_STATUSES } from "../task.js";
import { type CancelFlags, cancelCommand } from "./commands/cancel.js";
import { type DashboardFlags, dashboardCommand } from "./commands/dashboard.js";
import { demoCommand } from "./commands/demo.js";
import { migrateCommand } from "./commands/migrate.js";
import { type ReapFlags, reapCommand } from "./commands/reap.js";
import {
  type ScheduleAddFlags,
  type ScheduleListFlags,
  scheduleAddCommand,
  scheduleListCommand,
  scheduleRemoveCommand,
} from "./commands/schedule.js";
import { type ServeFlags, serveCommand } from "./commands/serve.js";
import { type ListFlags, listCommand, statusCommand } from "./commands/status.js";
import { type SubmitFlags, submitCommand } from "./commands/submit.js";
import { ExitCode, errorLine, exitCodeOf } from "./exit-codes.js";
import { type CliIo, processIo } from "./io.js";

const HELP_FOOTER = `
Configuration (environment): DATABASE_URL (required except for demo), DATABASE_SCHEMA,
RABBITMQ_URL, OPS_LLM_BASE_URL, OPS_LLM_API_KEY, OPS_LLM_MODEL, AGENT_EXECUTION_TIMEOUT,
OPS_API_TOKEN (serve), OPSQ_DASHBOARD_TOKEN (dashboard).

Exit codes:
  0  done (submit --wait: the task completed)
  1  the task failed, --wait timed out, the task does not exist (or, for cancel, is finished),
     or an unexpected error
  2  bad input or configuration
  3  PostgreSQL or RabbitMQ unreachable, the database or role does not exist, or the enqueue failed

Examples:
  $ ops-core migrate
  $ ops-core submit "What is 6 * 7?" --wait
  $ ops-core list --status failed --limit 20
  $ ops-core cancel task_3f2a…
  $ ops-core reap
  $ ops-core schedule add "Summarise the last hour's failed tasks" --cron "0 * * * *"
  $ OPS_API_TOKEN=… ops-core serve --port 8080
  $ ops-core dashboard --port 9180
  $ ops-core demo`;

/**
 * Parses `args` (without `node` and the script) and runs the command. Expected failures are
 * printed as one line (`ops-core: …`) on `io.err`, without a stack trace (set `OPS_CORE_DEBUG=1`
 * to get one for unexpected errors).
 *
 * @returns the exit code (see {@link ExitCode})
 */
export async function runCli(args: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = ExitCode.OK;
  const program = new Command("ops-core")
    .description("Agent tasks stored in PostgreSQL and run by opsq workers (`opsq worker ops-core/actors`).")
    .version(readVersion(), "-V, --version", "print the version")
    .helpCommand("help [command]", "show help for a command")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
      outputError: (text, write) => write(text.replace(/^error: /, "ops-core: ")),
    })
    .addHelpText("after", HELP_FOOTER);

  program
    .command("migrate")
    .description("apply the database migrations to DATABASE_URL (in DATABASE_SCHEMA)")
    .action(() => migrateCommand(io));

  program
    .command("submit")
    .description("store and enqueue an agent task")
    .argument("<goal>", "what the agent should achieve")
    .option("--type <type>", "task type", AGENT_TASK_TYPE)
    .option("--input <json>", "more input fields, as a JSON object (e.g. '{\"maxSteps\": 4}')")
    .option("--name <name>", "a label for the task")
    .option(
      "--id <task id>",
      "choose the task id, so that running the same command again (after a lost reply) submits nothing new",
    )
    .option("--wait", "print status changes until the task finishes, then its answer")
    .option("--timeout <s>", "longest --wait, in seconds", positiveNumber, 300)
    .action(async (goal: string, flags: SubmitFlags) => {
      code = await submitCommand(goal, flags, io);
    });

  program
    .command("status")
    .description("print a task as JSON")
    .argument("<id>", "task id (task_…)")
    .action((id: string) => statusCommand(id, io));

  program
    .command("cancel")
    .description(
      "cancel a pending or running task: it ends `cancelled`; a worker running it stops at once (its LLM request is aborted)",
    )
    .argument("<id>", "task id (task_…)")
    .option("--reason <text>", "stored as the task's error message", "Cancelled.")
    .action((id: string, flags: CancelFlags) => cancelCommand(id, flags, io));

  program
    .command("list")
    .description("list tasks, newest first")
    .addOption(new Option("--status <status>", "only tasks with this status").choices(TASK_STATUSES))
    .option("--limit <n>", "page size (1-1000)", wholeNumber(1, 1000), 20)
    .option("--offset <n>", "tasks to skip", wholeNumber(0, Number.MAX_SAFE_INTEGER), 0)
    .option("--json", "print JSON instead of a table")
    .action((flags: ListFlags) => listCommand(flags, io));

  program
    .command("reap")
    .description(
      "requeue (or fail, when their attempts are spent) running tasks whose worker stopped sending heartbeats; every worker also does this periodically",
    )
    .option(
      "--stale-after <ms>",
      "a running task without a heartbeat for this long is stale (default OPS_CORE_STALE_AFTER_MS, 60000)",
      wholeNumber(1, 86_400_000),
    )
    .action((flags: ReapFlags) => reapCommand(flags, io));

  const schedule = program
    .command("schedule")
    .description("recurring agent tasks, stored in PostgreSQL and run by the ops-core workers");
  schedule
    .command("add")
    .description("store a goal submitted as an agent task at each tick of a cron expression")
    .argument("<goal>", "what the agent should achieve at each tick")
    .requiredOption(
      "--cron <expression>",
      'cron expression, 5 fields or 6 with seconds first (e.g. "0 * * * *")',
    )
    .option("--timezone <zone>", "IANA time zone the expression is read in", "UTC")
    .option("--name <name>", "a unique label (the tasks' name)")
    .action((goal: string, flags: ScheduleAddFlags) => scheduleAddCommand(goal, flags, io));
  schedule
    .command("list")
    .description("print the stored schedules and their next run")
    .option("--json", "print JSON")
    .action((flags: ScheduleListFlags) => scheduleListCommand(flags, io));
  schedule
    .command("remove")
    .description("remove a schedule (the workers stop running it within 30 s)")
    .argument("<id>", "the schedule's id or name")
    .action((id: string) => scheduleRemoveCommand(id, io));

  program
    .command("serve")
    .description(
      "serve the HTTP API (OpenAPI document at /openapi.json) until SIGINT/SIGTERM; with OPS_API_TOKEN set, every /api route needs `Authorization: Bearer <token>`, and without it only a loopback host is allowed",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", wholeNumber(0, 65535), 8080)
    .action((flags: ServeFlags) => serveCommand({ ...flags, version: readVersion() }, io));

  program
    .command("dashboard")
    .description(
      "serve opsq's dashboard with the Agent tasks panel (list, task pages with the agent history, submit, cancel, resubmit) until SIGINT/SIGTERM; loopback only unless OPSQ_DASHBOARD_TOKEN is set",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", wholeNumber(0, 65535), 9180)
    .option("--read-only", "no action: the buttons are gone and the POSTs refused")
    .option("--base-path <path>", "serve the dashboard under this path (/ops)")
    .action((flags: DashboardFlags) => dashboardCommand(flags, io));

  program
    .command("demo")
    .description(
      "run a few tasks end to end in this process, with no services (embedded database, offline model)",
    )
    .action(async () => {
      code = await demoCommand(io);
    });

  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    io.err(`ops-core: ${errorLine(error)}`);
    const exit = exitCodeOf(error);
    if (exit === ExitCode.FAILED && (io.env ?? process.env).OPS_CORE_DEBUG && error instanceof Error) {
      io.err(error.stack ?? "");
    }
    return exit;
  }
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number greater than 0.");
  return n;
}

function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

function readVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}
