/**
 * One worker process: load the modules, connect, consume until asked to stop,
 * then stop gracefully and close the broker.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { DELIVERY_LIMIT_ENV, QUEUE_TYPE_ENV } from "../brokers/rabbitmq/queue-settings.js";
import type { QueueType } from "../brokers/rabbitmq/topology.js";
// Makes RabbitMQ the global broker of modules that define actors without a broker (amqplib loads on connect).
import { RabbitmqBroker } from "../brokers/rabbitmq.js";
import { CrashLimit } from "../crash-limit/middleware.js";
import { ConnectionError, InequivalentQueueError, MiddlewareError } from "../errors.js";
import { WorkerHeartbeat } from "../heartbeat/middleware.js";
import { LOG_FORMAT_ENV, type LogFormat } from "../log-format.js";
import { createLogger, getLogger, redactUrl, setLogger } from "../logger.js";
import { schedulesOf } from "../schedules/registry.js";
import { Worker } from "../worker.js";
import { applyBrokerUrls } from "./broker-url.js";
import { CliError, ExitCode, MESSAGE_CRASH_EXIT_CODE } from "./exit-codes.js";
import { loadModules } from "./load-modules.js";

/** The broker URL used when neither `--broker-url` nor `RABBITMQ_URL` is set. */
export const DEFAULT_BROKER_URL = "amqp://guest:guest@localhost:5672";

/**
 * Environment variable setting the worker's `maxHoldMs` (ms): the longest a delayed message is
 * held unacked before being re-parked in its `.DQ`. Keep it under RabbitMQ's `consumer_timeout`.
 */
export const MAX_HOLD_ENV = "OPSQ_MAX_HOLD_MS";

/** Options of `opsq worker`, parsed. */
export interface WorkerCliOptions {
  /** Modules to import, as given. */
  modules: string[];
  /** Queues to consume. @default every queue of the broker's actors */
  queues?: string[];
  /** Most messages processed at once per process. */
  concurrency: number;
  /** Worker processes (the supervisor handles more than one). */
  processes: number;
  /** Comma-separated URLs: sets `RABBITMQ_URLS` (and `RABBITMQ_URL`, the first) before the modules are imported. */
  brokerUrl?: string;
  /** Sets `OPSQ_QUEUE_TYPE` before the modules are imported. */
  queueType?: QueueType;
  /** Sets `OPSQ_DELIVERY_LIMIT` before the modules are imported. */
  deliveryLimit?: number;
  /** How long a stop waits for in-flight messages. */
  shutdownTimeoutMs: number;
  /** pino level. */
  logLevel: string;
  /** JSON or pretty lines. @default pretty when stdout is a terminal, else JSON */
  logFormat?: LogFormat;
  /** Serve Prometheus metrics on this port (0: any free port). @default no metrics */
  metricsPort?: number;
  /** Address the metrics server binds. @default "0.0.0.0" */
  metricsHost?: string;
  /** PostgreSQL URL of the cancellation table: adds the Cancellation middleware. @default no cancellation */
  cancelUrl?: string;
  /** Table of cancels. @default "opsq_cancellations" */
  cancelTable?: string;
  /** PostgreSQL URL of the dedup table: adds the Dedup middleware. @default no deduplication at the worker */
  dedupUrl?: string;
  /** Table of dedup keys. @default "opsq_dedup" */
  dedupTable?: string;
  /** Deaths of its worker process a message may cause before it is dead-lettered. @default 3 */
  maxCrashes?: number;
  /** Directory of the crash journal. @default `$OPSQ_STATE_DIR`, else `<tmpdir>/opsq` */
  stateDir?: string;
  /** Time between two heartbeats to `opsq.workers` (the dashboard's Workers page); 0: none. @default 5000 */
  heartbeatIntervalMs?: number;
}

/** What a worker process needs from its surroundings. */
export interface WorkerRunContext {
  /** Where modules are resolved from. */
  cwd: string;
  /** Aborted on the first SIGTERM/SIGINT: stop gracefully. */
  stop: AbortSignal;
  /** Fields added to every log line of the process (e.g. the supervisor's process index). */
  logBindings?: Record<string, unknown>;
  /** Called once the worker consumes. */
  onReady?: () => void;
  /** With metrics on: a supervisor serves them, so answer its IPC requests instead of listening. */
  metricsOverIpc?: boolean;
}

/**
 * Runs a worker until `context.stop` is aborted.
 *
 * @returns {@link ExitCode.OK} after a graceful stop
 * @throws CliError with exit code 2 (modules, queues) or 3 (broker unreachable)
 */
export async function runWorker(options: WorkerCliOptions, context: WorkerRunContext): Promise<ExitCode> {
  applyBrokerUrls(options.brokerUrl);
  if (options.queueType !== undefined) {
    process.env[QUEUE_TYPE_ENV] = options.queueType;
  }
  if (options.deliveryLimit !== undefined) {
    process.env[DELIVERY_LIMIT_ENV] = String(options.deliveryLimit);
  }
  process.env.OPSQ_LOG_LEVEL = options.logLevel;
  if (options.logFormat !== undefined) {
    // As for the level: loggers the modules create follow the choice too.
    process.env[LOG_FORMAT_ENV] = options.logFormat;
  }
  const root = createLogger({ level: options.logLevel, format: options.logFormat });
  setLogger(context.logBindings ? root.child(context.logBindings) : root);

  const maxHoldMs = readMaxHold(process.env[MAX_HOLD_ENV]);
  const { broker } = await loadModules(options.modules, context.cwd);
  const queues = selectQueues(broker, options.queues);
  broker.addMiddleware(
    new CrashLimit({
      maxCrashes: options.maxCrashes,
      stateDir: options.stateDir,
      exitCode: MESSAGE_CRASH_EXIT_CODE,
    }),
  );
  const heartbeatMs = options.heartbeatIntervalMs ?? 5_000;
  if (heartbeatMs > 0 && heartbeatMs < 100) {
    throw new CliError(
      `--heartbeat-interval must be 0 or at least 100 ms, got ${heartbeatMs}`,
      ExitCode.IMPORT_ERROR,
    );
  }
  if (heartbeatMs > 0 && broker instanceof RabbitmqBroker) {
    // The URL with its password: the broker only shows a redacted one.
    const url = process.env.RABBITMQ_URL ?? DEFAULT_BROKER_URL;
    broker.addMiddleware(new WorkerHeartbeat({ url, intervalMs: heartbeatMs }));
  }
  const metrics =
    options.metricsPort === undefined ? undefined : await enableMetrics(broker, options, context);
  let closeCancellation: (() => Promise<void>) | undefined;
  let closeDedup: (() => Promise<void>) | undefined;
  try {
    if (options.dedupUrl !== undefined) {
      const { addDedup } = await import("./dedup-store.js");
      closeDedup = await addDedup(broker, { url: options.dedupUrl, table: options.dedupTable }, getLogger());
    }
    if (options.cancelUrl !== undefined) {
      const { addCancellation } = await import("./cancel-command.js");
      const store = { url: options.cancelUrl, table: options.cancelTable };
      closeCancellation = await addCancellation(broker, store, getLogger());
    }
    return await consume(broker, queues, maxHoldMs, options, context, metrics?.url);
  } finally {
    await metrics?.close();
    await closeCancellation?.();
    await closeDedup?.();
  }
}

// Connects, then consumes until asked to stop.
async function consume(
  broker: Broker,
  queues: string[],
  maxHoldMs: number | undefined,
  options: WorkerCliOptions,
  context: WorkerRunContext,
  metricsUrl: string | undefined,
): Promise<ExitCode> {
  const logger = getLogger();
  if (context.stop.aborted) {
    return ExitCode.OK;
  }
  try {
    const connected = await Promise.race([broker.connect().then(() => true), aborted(context.stop)]);
    if (!connected) {
      await broker.close().catch(() => {});
      return ExitCode.OK;
    }
  } catch (error) {
    throw connectError(broker, error);
  }

  const worker = new Worker(broker, {
    queues,
    concurrency: options.concurrency,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
    ...(maxHoldMs === undefined ? {} : { maxHoldMs }),
  });
  try {
    await worker.start();
  } catch (error) {
    await worker.stop({ timeoutMs: 0 }).catch(() => {});
    await broker.close().catch(() => {});
    if (error instanceof MiddlewareError) {
      // A middleware could not boot (the cancellation store is unreachable, say): one line, exit 3.
      throw new CliError(`cannot start the worker: ${redactUrl(error.message)}`, ExitCode.CONNECT_ERROR, {
        cause: error,
      });
    }
    throw error instanceof ConnectionError || error instanceof InequivalentQueueError
      ? connectError(broker, error)
      : error;
  }
  let scheduler: Awaited<ReturnType<typeof startSchedules>>;
  try {
    scheduler = await startSchedules(broker);
  } catch (error) {
    await worker.stop({ timeoutMs: 0 }).catch(() => {});
    await broker.close().catch(() => {});
    throw error;
  }
  const actors = [...broker.actors.values()].filter((actor) => queues.includes(actor.queueName));
  logger.info(
    {
      actors: actors.map((actor) => actor.name).sort(),
      queues,
      concurrency: options.concurrency,
      broker: describeBroker(broker),
      ...(scheduler === undefined ? {} : { schedules: schedulesOf(broker).map(({ name }) => name) }),
      ...(metricsUrl === undefined ? {} : { metrics: metricsUrl }),
    },
    "worker ready",
  );
  context.onReady?.();

  await aborted(context.stop);
  // First: the next leader takes each schedule over while this worker drains.
  await scheduler?.stop();
  await worker.stop();
  try {
    await broker.close();
  } catch (error) {
    logger.warn({ err: error }, "could not close the broker cleanly");
  }
  return ExitCode.OK;
}

// The schedules of the modules (`defineSchedule`), run on a RabbitMQ connection of their own.
async function startSchedules(broker: Broker) {
  const schedules = schedulesOf(broker);
  if (schedules.length === 0) {
    return undefined;
  }
  if (!(broker instanceof RabbitmqBroker)) {
    getLogger().warn(
      { schedules: schedules.map(({ name }) => name), broker: broker.constructor.name },
      "schedules need the RabbitMQ broker; not running them",
    );
    return undefined;
  }
  const { Scheduler } = await import("../schedules/scheduler.js");
  // The URL with its password: the broker only shows a redacted one.
  const scheduler = new Scheduler(schedules, { url: process.env.RABBITMQ_URL ?? DEFAULT_BROKER_URL });
  try {
    await scheduler.start(broker);
  } catch (error) {
    await scheduler.stop(0).catch(() => {});
    throw new CliError(
      `cannot start the schedules: ${redactUrl(error instanceof Error ? error.message : String(error))}`,
      ExitCode.CONNECT_ERROR,
      { cause: error },
    );
  }
  return scheduler;
}

// --metrics-port: the Prometheus middleware and its server, imported only then (prom-client is not loaded otherwise).
async function enableMetrics(broker: Broker, options: WorkerCliOptions, context: WorkerRunContext) {
  const { enableWorkerMetrics } = await import("../metrics/worker-metrics.js");
  try {
    return await enableWorkerMetrics(broker, {
      port: options.metricsPort!,
      host: options.metricsHost,
      overIpc: context.metricsOverIpc === true,
      logger: getLogger(),
    });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.IMPORT_ERROR, {
      cause: error,
    });
  }
}

// OPSQ_MAX_HOLD_MS: unset or empty keeps the Worker's default; anything else must be a whole number ≥ 1.
function readMaxHold(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") {
    return undefined;
  }
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new CliError(
      `${MAX_HOLD_ENV} must be a whole number of milliseconds ≥ 1, got "${value}"`,
      ExitCode.IMPORT_ERROR,
    );
  }
  return n;
}

function selectQueues(broker: Broker, requested: readonly string[] | undefined): string[] {
  const known = [...broker.queues];
  if (requested === undefined || requested.length === 0) {
    return known;
  }
  const unknown = requested.filter((queue) => !broker.queues.has(queue));
  if (unknown.length > 0) {
    throw new CliError(
      `unknown queue${unknown.length > 1 ? "s" : ""} ${unknown.map((q) => `"${q}"`).join(", ")}: the actors use ${known.map((q) => `"${q}"`).join(", ")}`,
      ExitCode.IMPORT_ERROR,
    );
  }
  return [...new Set(requested)];
}

// Exit 3, one line: the broker is unreachable, or refuses the topology (a queue declared with other arguments).
function connectError(broker: Broker, error: unknown): CliError {
  const url = brokerUrl(broker);
  const reason = redactUrl(error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
  const text =
    error instanceof InequivalentQueueError
      ? `RabbitMQ${url === undefined ? "" : ` at ${url}`} refuses the worker's queues: ${reason}`
      : url !== undefined && reason.includes(url)
        ? reason
        : `cannot connect to the broker${url === undefined ? "" : ` at ${url}`}: ${reason}`;
  return new CliError(text, ExitCode.CONNECT_ERROR, { cause: error });
}

// The URL of a broker that has one (RabbitMQ), with its password hidden.
function brokerUrl(broker: Broker): string | undefined {
  const url = (broker as { url?: unknown }).url;
  if (typeof url === "string") {
    return redactUrl(url);
  }
  return broker.constructor.name.startsWith("Rabbitmq")
    ? redactUrl(process.env.RABBITMQ_URLS || process.env.RABBITMQ_URL || DEFAULT_BROKER_URL)
    : undefined;
}

function describeBroker(broker: Broker): string {
  const url = brokerUrl(broker);
  return url === undefined ? broker.constructor.name : `${broker.constructor.name} ${url}`;
}

// Resolves once the signal is aborted, keeping the process alive meanwhile (a stub broker holds no socket).
function aborted(signal: AbortSignal): Promise<false> {
  if (signal.aborted) {
    return Promise.resolve(false);
  }
  const keepAlive = setInterval(() => {}, 2 ** 30);
  return new Promise((resolve) =>
    signal.addEventListener(
      "abort",
      () => {
        clearInterval(keepAlive);
        resolve(false);
      },
      { once: true },
    ),
  );
}
