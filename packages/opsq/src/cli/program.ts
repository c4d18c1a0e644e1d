/**
 * The `opsq` command line, without the process-level parts (signals, exit),
 * so that it can be run from tests: {@link runCli} returns the exit code.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DELIVERY_LIMIT_ENV, QUEUE_TYPE_ENV } from "../brokers/rabbitmq/queue-settings.js";
import type { QueueType } from "../brokers/rabbitmq/topology.js";
import { LOG_FORMAT_ENV, LOG_FORMATS, type LogFormat } from "../log-format.js";
import { createLogger, redactUrl } from "../logger.js";
import { brokerUrlsArgument } from "./broker-url.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { DEFAULT_BROKER_URL, runWorker, type WorkerCliOptions } from "./run-worker.js";
import { supervise } from "./supervisor.js";

/** What {@link runCli} needs from the process running it. */
export interface CliContext {
  /** Where modules are resolved from. @default process.cwd() */
  cwd?: string;
  /** Aborted on the first SIGTERM/SIGINT: stop gracefully. */
  stop: AbortSignal;
  /** Aborted on the second signal: the supervisor kills its worker processes. @default never */
  force?: AbortSignal;
  /** This process's index when a supervisor forked it (it then runs one worker whatever `--processes` says). */
  workerProcess?: number;
  /** Called once the worker consumes. */
  onReady?: () => void;
  /** Where help, the version and one-line errors go. @default process.stdout / process.stderr */
  writeOut?: (text: string) => void;
  writeErr?: (text: string) => void;
  /** The script the supervisor forks. @default dist/cli/main.js */
  entry?: string;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

const EXIT_CODES_HELP = `
Environment:
  RABBITMQ_URLS       comma-separated URLs of a cluster's nodes when --broker-url is not given
  RABBITMQ_URL        broker URL when neither --broker-url nor RABBITMQ_URLS is given
  OPSQ_QUEUE_TYPE     classic or quorum, when --queue-type is not given
  OPSQ_DELIVERY_LIMIT quorum delivery limit, when --delivery-limit is not given
  OPSQ_LOG_LEVEL      log level when --log-level is not given
  OPSQ_LOG_FORMAT     log format when --log-format is not given (json or pretty)
  OPSQ_MAX_HOLD_MS    longest a delayed message is held unacked before it is re-parked in its
                      .DQ (default 900000, 15 min); keep it under RabbitMQ's consumer_timeout
  OPSQ_CANCEL_URL     cancellation store when --cancel-url is not given (worker and cancel)
  OPSQ_DEDUP_URL      dedup store when --dedup-url is not given (worker)
  OPSQ_STATE_DIR      directory of the crash journal when --state-dir is not given

Exit codes:
  0  stopped cleanly (first SIGTERM/SIGINT: finish in-flight messages, then exit)
  1  killed (second signal) or crashed
  2  a module could not be imported or registered no actors, or a bad argument (a URL's syntax included)
  3  the broker, or a store a middleware needs to boot (--cancel-url), could not be reached at start-up,
     or RabbitMQ refused the worker's queues (one declared with other arguments: PRECONDITION_FAILED)
  4  the process ended from inside a handler (process.exit, an uncaught error); its messages were
     counted, and one that killed its worker --max-crashes times is dead-lettered when redelivered

Examples:
  $ opsq worker ops-core/actors
  $ opsq worker ./dist/actors.js --queues emails reports --concurrency 16
  $ opsq worker ./src/actors.ts --processes 4 --broker-url amqp://user:pass@rabbit:5672/vhost
  $ opsq schedules ./dist/actors.js`;

/**
 * Parses `args` (without `node` and the script) and runs the command.
 *
 * @returns the exit code (see {@link ExitCode}); expected failures were printed on `writeErr` in one line
 */
export async function runCli(args: readonly string[], context: CliContext): Promise<number> {
  const writeOut = context.writeOut ?? ((text: string) => void process.stdout.write(text));
  const writeErr = context.writeErr ?? ((text: string) => void process.stderr.write(text));
  let code: number = ExitCode.OK;
  const program = new Command("opsq")
    .description("RabbitMQ-native actors for TypeScript, wire-compatible with Dramatiq.")
    .version(readVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .exitOverride()
    .configureOutput({
      writeOut,
      writeErr,
      outputError: (text, write) => write(redactUrl(text.replace(/^error: /, "opsq: "))),
    });

  program
    .command("worker")
    .description("Run a worker for the actors the modules define.")
    .argument(
      "<modules...>",
      "modules defining actors: package specifiers (ops-core/actors) or paths (./actors.js, ./actors.ts)",
    )
    .option("-Q, --queues <names...>", "queues to consume (default: every queue of the actors)")
    .option("-c, --concurrency <n>", "messages processed at once per process", wholeNumber(1), 8)
    .option("-p, --processes <n>", "worker processes, under a supervisor when more than 1", wholeNumber(1), 1)
    .option(
      "--broker-url <url>",
      `RabbitMQ URL, set as RABBITMQ_URL before the modules are imported; repeated or comma-separated for the nodes of a cluster, set as RABBITMQ_URLS (default: $RABBITMQ_URLS, else $RABBITMQ_URL, else ${DEFAULT_BROKER_URL})`,
      brokerUrlsArgument,
    )
    .addOption(
      new Option(
        "--queue-type <type>",
        "declare every queue (q, q.DQ, q.XQ) of brokers built without queueType as classic (Dramatiq's) or quorum (replicated, for a cluster); set as OPSQ_QUEUE_TYPE before the modules are imported",
      )
        .choices(["classic", "quorum"])
        .env(QUEUE_TYPE_ENV),
    )
    .addOption(
      new Option(
        "--delivery-limit <n>",
        "quorum only: RabbitMQ dead-letters a message delivered more than n times (x-delivery-limit); set as OPSQ_DELIVERY_LIMIT",
      )
        .argParser(wholeNumber(0))
        .env(DELIVERY_LIMIT_ENV),
    )
    .option(
      "--shutdown-timeout <ms>",
      "how long a stop waits for in-flight messages before handing them back",
      wholeNumber(0),
      30_000,
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(LOG_LEVELS)
        .default("info")
        .env("OPSQ_LOG_LEVEL"),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "json lines, or pretty lines for people (default: pretty when stdout is a terminal, else json)",
      )
        .choices(LOG_FORMATS)
        .env(LOG_FORMAT_ENV),
    )
    .option(
      "--metrics-port <port>",
      "serve Prometheus metrics on http://<host>:<port>/metrics (0: a free port, logged); with --processes, the supervisor serves their sum",
      portNumber,
    )
    .option("--metrics-host <host>", "address the metrics server binds (default: 0.0.0.0, every interface)")
    .addOption(
      new Option(
        "--cancel-url <url>",
        "PostgreSQL URL of the cancellation table: adds the Cancellation middleware (see `opsq cancel`)",
      ).env("OPSQ_CANCEL_URL"),
    )
    .option("--cancel-table <name>", "table of cancels (default: opsq_cancellations)")
    .addOption(
      new Option(
        "--dedup-url <url>",
        "PostgreSQL URL of the dedup table: adds the Dedup middleware (messages sent with dedupKey)",
      ).env("OPSQ_DEDUP_URL"),
    )
    .option("--dedup-table <name>", "table of dedup keys (default: opsq_dedup)")
    .option(
      "--max-crashes <n>",
      "dead-letter a message once its worker process died this many times while running it",
      wholeNumber(1),
      3,
    )
    .addOption(
      new Option("--state-dir <dir>", "directory of the crash journal (default: <tmpdir>/opsq)").env(
        "OPSQ_STATE_DIR",
      ),
    )
    .option(
      "--heartbeat-interval <ms>",
      "publish a heartbeat to the opsq.workers exchange this often, for `opsq dashboard` (0: never)",
      wholeNumber(0),
      5_000,
    )
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (modules: string[], flags: Record<string, unknown>) => {
      const options: WorkerCliOptions = {
        modules,
        queues: (flags.queues as string[] | undefined)?.flatMap((q) => q.split(",")).filter(Boolean),
        concurrency: flags.concurrency as number,
        processes: flags.processes as number,
        brokerUrl: flags.brokerUrl as string | undefined,
        queueType: flags.queueType as QueueType | undefined,
        deliveryLimit: flags.deliveryLimit as number | undefined,
        shutdownTimeoutMs: flags.shutdownTimeout as number,
        logLevel: flags.logLevel as string,
        logFormat: flags.logFormat as LogFormat | undefined,
        metricsPort: flags.metricsPort as number | undefined,
        metricsHost: flags.metricsHost as string | undefined,
        cancelUrl: flags.cancelUrl as string | undefined,
        cancelTable: flags.cancelTable as string | undefined,
        dedupUrl: flags.dedupUrl as string | undefined,
        dedupTable: flags.dedupTable as string | undefined,
        maxCrashes: flags.maxCrashes as number,
        stateDir: flags.stateDir as string | undefined,
        heartbeatIntervalMs: flags.heartbeatInterval as number,
      };
      if (options.metricsHost !== undefined && options.metricsPort === undefined) {
        throw new CliError("--metrics-host needs --metrics-port", ExitCode.IMPORT_ERROR);
      }
      code = await worker(options, args, context);
    });

  program
    .command("queues")
    .description(
      "Print ready, delayed and dead-lettered counts and consumers of queue families (RabbitMQ lists no queues without its management API: name them, or give --module).",
    )
    .argument("[names...]", "queues to inspect (q, q.DQ or q.XQ all mean the family of q)")
    .option("-m, --module <modules...>", "also inspect every queue of the actors these modules define")
    .option(
      "--broker-url <url>",
      `RabbitMQ URL; repeated or comma-separated for the nodes of a cluster (default: $RABBITMQ_URLS, else $RABBITMQ_URL, else ${DEFAULT_BROKER_URL})`,
      brokerUrlsArgument,
    )
    .option("--json", "print JSON")
    .action(async (names: string[], flags: Record<string, unknown>) => {
      const { runQueues } = await import("./inspect-commands.js");
      code = await runQueues(
        {
          names,
          modules: (flags.module as string[] | undefined) ?? [],
          brokerUrl: flags.brokerUrl as string | undefined,
          json: flags.json === true,
        },
        { cwd: context.cwd ?? process.cwd(), writeOut },
      );
    });

  program
    .command("schedules")
    .description(
      "List the schedules the modules define (defineSchedule): cron, time zone, actor, next 3 runs and the last tick enqueued.",
    )
    .argument("<modules...>", "modules defining schedules (as given to opsq worker)")
    .option(
      "--broker-url <url>",
      `RabbitMQ URL (default: $RABBITMQ_URL, else ${DEFAULT_BROKER_URL})`,
      brokerUrlsArgument,
    )
    .option("--json", "print JSON")
    .action(async (modules: string[], flags: Record<string, unknown>) => {
      const { runSchedules } = await import("./schedules-command.js");
      code = await runSchedules(
        { modules, brokerUrl: flags.brokerUrl as string | undefined, json: flags.json === true },
        { cwd: context.cwd ?? process.cwd(), writeOut },
      );
    });

  program
    .command("dead-letters")
    .description(
      "List the dead-lettered messages of <queue>.XQ (they stay there), or move them back with --requeue.",
    )
    .argument("<queue>", "the queue whose dead letters to show")
    .option(
      "-n, --limit <n>",
      "at most this many messages (default: 100 listed, all requeued)",
      wholeNumber(1),
    )
    .option(
      "--requeue",
      "move them back to the queue they died in (confirmed publish, then ack), body and retries unchanged",
    )
    .option("--json", "print JSON")
    .option(
      "--broker-url <url>",
      `RabbitMQ URL; repeated or comma-separated for the nodes of a cluster (default: $RABBITMQ_URLS, else $RABBITMQ_URL, else ${DEFAULT_BROKER_URL})`,
      brokerUrlsArgument,
    )
    .action(async (queue: string, flags: Record<string, unknown>) => {
      const { runDeadLetters } = await import("./inspect-commands.js");
      code = await runDeadLetters(
        {
          queue,
          limit: flags.limit as number | undefined,
          requeue: flags.requeue === true,
          json: flags.json === true,
          brokerUrl: flags.brokerUrl as string | undefined,
        },
        { cwd: context.cwd ?? process.cwd(), writeOut },
      );
    });

  program
    .command("dashboard")
    .description(
      "Serve a web dashboard of queues, dead letters, delayed messages and workers (loopback only unless OPSQ_DASHBOARD_TOKEN is set).",
    )
    .option("--port <port>", "TCP port (0: a free port, printed)", portNumber, 9180)
    .option(
      "--host <host>",
      "address to bind (anything but loopback needs OPSQ_DASHBOARD_TOKEN)",
      "127.0.0.1",
    )
    .option(
      "--broker-url <url>",
      `RabbitMQ URL (default: $RABBITMQ_URL, else ${DEFAULT_BROKER_URL})`,
      brokerUrlsArgument,
    )
    .addOption(
      new Option(
        "--database-url <url>",
        "PostgreSQL URL: the cancellation store (table opsq_cancellations) unless --cancel-url names another",
      ).env("DATABASE_URL"),
    )
    .addOption(
      new Option("--cancel-url <url>", "PostgreSQL URL of the cancellation table").env("OPSQ_CANCEL_URL"),
    )
    .option("--cancel-table <name>", "table of cancels (default: opsq_cancellations)")
    .option("--read-only", "show, never act: no requeue, delete, purge or cancel")
    .option("-Q, --queues <names...>", "queues always shown (others come from workers' heartbeats)")
    .option("-m, --module <modules...>", "also show every queue of the actors these modules define")
    .option(
      "--management-url <url>",
      "RabbitMQ management API (default: http://<broker host>:15672, used when it answers)",
    )
    .option("--no-management", "never use the management API: counts through AMQP, rates estimated")
    .option("--base-path <path>", "serve under this path (/ops)")
    .option(
      "--panel <modules...>",
      "add the pages of these modules, each exporting openDashboardPanel() (ops-core/dashboard: agent tasks)",
    )
    .action(async (flags: Record<string, unknown>) => {
      const { runDashboard } = await import("./dashboard-command.js");
      code = await runDashboard(
        {
          port: flags.port as number,
          host: flags.host as string,
          brokerUrl: flags.brokerUrl as string | undefined,
          databaseUrl: flags.databaseUrl as string | undefined,
          cancelUrl: flags.cancelUrl as string | undefined,
          cancelTable: flags.cancelTable as string | undefined,
          readOnly: flags.readOnly === true,
          queues: ((flags.queues as string[] | undefined) ?? []).flatMap((q) => q.split(",")).filter(Boolean),
          modules: (flags.module as string[] | undefined) ?? [],
          managementUrl: flags.management === false ? false : (flags.managementUrl as string | undefined),
          basePath: flags.basePath as string | undefined,
          panels: (flags.panel as string[] | undefined) ?? [],
        },
        { cwd: context.cwd ?? process.cwd(), stop: context.stop, writeOut },
      );
    });

  program
    .command("cancel")
    .description(
      "Cancel messages by id: one still queued or delayed will not run; a running one has its signal aborted. None is retried. Workers need --cancel-url (or the Cancellation middleware) on the same table.",
    )
    .argument("<message-ids...>", "ids of the messages to cancel")
    .addOption(
      new Option("--cancel-url <url>", "PostgreSQL URL of the cancellation table").env("OPSQ_CANCEL_URL"),
    )
    .option("--cancel-table <name>", "table of cancels (default: opsq_cancellations)")
    .option("--ttl <ms>", "how long the cancel is kept (default: 604800000, 7 days)", wholeNumber(1))
    .action(async (messageIds: string[], flags: Record<string, unknown>) => {
      const { runCancel } = await import("./cancel-command.js");
      code = await runCancel(
        {
          messageIds,
          url: flags.cancelUrl as string | undefined,
          table: flags.cancelTable as string | undefined,
          ttlMs: flags.ttl as number | undefined,
        },
        { writeOut },
      );
    });

  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.IMPORT_ERROR;
    }
    if (error instanceof CliError) {
      // Redacted: a message may quote what the user typed, a URL with its password included.
      writeErr(`opsq: ${redactUrl(error.message)}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

function worker(options: WorkerCliOptions, args: readonly string[], context: CliContext): Promise<number> {
  const { cwd = process.cwd(), stop, workerProcess } = context;
  if (options.processes > 1 && workerProcess === undefined) {
    return supervise({
      processes: options.processes,
      entry: context.entry ?? fileURLToPath(new URL("./main.js", import.meta.url)),
      args,
      stop,
      force: context.force ?? new AbortController().signal,
      logger: createLogger({ level: options.logLevel, format: options.logFormat }).child({
        supervisor: true,
      }),
      ...(options.metricsPort === undefined
        ? {}
        : { metrics: { port: options.metricsPort, host: options.metricsHost } }),
    });
  }
  return runWorker(options, {
    cwd,
    stop,
    onReady: context.onReady,
    logBindings: workerProcess === undefined ? undefined : { process: workerProcess },
    metricsOverIpc: workerProcess !== undefined,
  });
}

function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number ≥ ${min}.`);
    }
    return n;
  };
}

// A TCP port: 0 (any free port) to 65535.
function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65_535) {
    throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  }
  return n;
}

function readVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}
