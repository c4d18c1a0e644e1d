/**
 * `--processes N`: a supervisor forks N worker processes running the same
 * command, forwards a stop to them, restarts one that dies unexpectedly, and
 * exits with the worst exit code once they are all gone.
 *
 * @module
 */
import { type ChildProcess, fork } from "node:child_process";
import type { Logger } from "../logger.js";
import type { AggregatedMetrics } from "../metrics/supervisor-metrics.js";
import { CliError, ExitCode, MESSAGE_CRASH_EXIT_CODE } from "./exit-codes.js";

/** Set (to the process index, from 1) in the environment of each forked worker process. */
export const WORKER_PROCESS_ENV = "OPSQ_WORKER_PROCESS";

/** Message a worker process sends its supervisor once it consumes. */
export const READY_MESSAGE = { opsq: "ready" } as const;

/** Options of {@link supervise}. */
export interface SuperviseOptions {
  /** How many worker processes. */
  processes: number;
  /** The CLI entry to fork (`dist/cli/main.js`). */
  entry: string;
  /** The CLI arguments, passed to every worker process as they are. */
  args: readonly string[];
  /** Aborted on the first signal: stop the workers gracefully (SIGTERM). */
  stop: AbortSignal;
  /** Aborted on the second signal: kill the workers at once (SIGKILL). */
  force: AbortSignal;
  logger: Logger;
  /** Restarts in a row, per process, before giving up. @default 5 */
  maxRestarts?: number;
  /** First restart delay, doubled at each restart in a row. @default 500 */
  restartDelayMs?: number;
  /** Serve the sum of the worker processes' Prometheus metrics here. @default no metrics */
  metrics?: { port: number; host?: string };
}

interface Slot {
  readonly index: number;
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
  ready: boolean;
  readyAt: number;
  restarts: number;
  exitCode: number;
}

const MAX_RESTART_DELAY_MS = 10_000;
/** A process that ran this long after becoming ready starts a fresh restart count. */
const HEALTHY_AFTER_MS = 60_000;

/**
 * Runs the worker processes; resolves with the worst exit code once all have exited.
 *
 * @throws CliError (exit code 2) when the metrics port cannot be bound
 */
export async function supervise(options: SuperviseOptions): Promise<number> {
  const { logger, stop, force } = options;
  const maxRestarts = options.maxRestarts ?? 5;
  const restartDelayMs = options.restartDelayMs ?? 500;
  const slots: Slot[] = Array.from({ length: options.processes }, (_, i) => ({
    index: i + 1,
    ready: false,
    readyAt: 0,
    restarts: 0,
    exitCode: ExitCode.OK,
  }));
  let stopping = false;
  const metrics =
    options.metrics === undefined
      ? undefined
      : await serveMetrics(options.metrics, logger, () =>
          slots.flatMap((slot) => (slot.ready && slot.child !== undefined ? [slot.child] : [])),
        );

  const code = await new Promise<number>((resolve) => {
    const finishIfDone = () => {
      if (stopping && slots.every((slot) => slot.child === undefined && slot.timer === undefined)) {
        resolve(Math.max(...slots.map((slot) => slot.exitCode)));
      }
    };

    const stopAll = () => {
      stopping = true;
      for (const slot of slots) {
        clearTimeout(slot.timer);
        slot.timer = undefined;
        slot.child?.kill("SIGTERM");
      }
      finishIfDone();
    };

    const start = (slot: Slot) => {
      // Detached: a terminal's Ctrl-C reaches the supervisor only, which forwards one stop.
      // A worker whose supervisor dies sees its IPC channel close and stops too.
      const child = fork(options.entry, options.args, {
        env: { ...process.env, [WORKER_PROCESS_ENV]: String(slot.index) },
        stdio: "inherit",
        detached: true,
      });
      slot.child = child;
      slot.ready = false;
      child.on("message", (message: unknown) => {
        if ((message as typeof READY_MESSAGE | undefined)?.opsq === READY_MESSAGE.opsq) {
          slot.ready = true;
          slot.readyAt = Date.now();
        }
      });
      child.on("error", (error) => logger.error({ err: error, process: slot.index }, "worker process error"));
      child.on("exit", (code, signal) => {
        slot.child = undefined;
        metrics?.retire(child);
        // A process we asked to stop before it could install its handlers dies of that signal: a clean stop.
        const exitCode = code ?? (stopping && signal === "SIGTERM" ? ExitCode.OK : ExitCode.KILLED);
        if (stopping) {
          slot.exitCode = Math.max(slot.exitCode, exitCode);
          finishIfDone();
          return;
        }
        const fields = { process: slot.index, childPid: child.pid, code, signal };
        if (!slot.ready && (exitCode === ExitCode.IMPORT_ERROR || exitCode === ExitCode.CONNECT_ERROR)) {
          // Every process would fail the same way: give up.
          logger.error(fields, "worker process failed to start; stopping");
          slot.exitCode = exitCode;
          stopAll();
          return;
        }
        if (exitCode === MESSAGE_CRASH_EXIT_CODE) {
          // A message killed it: the crash limit bounds that loop per message, so it is not a
          // restart "in a row" (one poison message must not stop the good ones behind it).
          logger.warn(
            { ...fields, restartInMs: restartDelayMs },
            "worker process died running a message; restarting it",
          );
          slot.timer = setTimeout(() => {
            slot.timer = undefined;
            start(slot);
          }, restartDelayMs);
          return;
        }
        if (slot.ready && Date.now() - slot.readyAt >= HEALTHY_AFTER_MS) {
          slot.restarts = 0;
        }
        if (slot.restarts >= maxRestarts) {
          logger.error({ ...fields, restarts: slot.restarts }, "worker process keeps dying; stopping");
          slot.exitCode = Math.max(exitCode, ExitCode.KILLED);
          stopAll();
          return;
        }
        const delayMs = Math.min(restartDelayMs * 2 ** slot.restarts, MAX_RESTART_DELAY_MS);
        slot.restarts++;
        logger.warn({ ...fields, restartInMs: delayMs }, "worker process died; restarting it");
        slot.timer = setTimeout(() => {
          slot.timer = undefined;
          start(slot);
        }, delayMs);
      });
    };

    stop.addEventListener("abort", stopAll, { once: true });
    force.addEventListener(
      "abort",
      () => {
        for (const slot of slots) {
          slot.child?.kill("SIGKILL");
        }
      },
      { once: true },
    );
    logger.info({ processes: options.processes }, "starting worker processes");
    for (const slot of slots) {
      start(slot);
    }
    if (stop.aborted) {
      stopAll();
    }
  });
  await metrics?.close();
  return code;
}

// --metrics-port: one endpoint summing the worker processes' metrics, imported only then.
async function serveMetrics(
  options: { port: number; host?: string },
  logger: Logger,
  processes: () => ChildProcess[],
): Promise<AggregatedMetrics> {
  const { serveAggregatedMetrics } = await import("../metrics/supervisor-metrics.js");
  try {
    return await serveAggregatedMetrics({ ...options, processes, logger });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.IMPORT_ERROR, {
      cause: error,
    });
  }
}
