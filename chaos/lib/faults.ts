/**
 * Faults several scenarios inject the same way: SIGKILL the worker and start a new one, and
 * disturb RabbitMQ, then wait for the worker to log its recovery. Scenarios that disturb the
 * whole RabbitMQ node run through {@link runLoadWithRabbitFaults}.
 *
 * @module
 */
import { type LoadOptions, runLoadWithFaults } from "./load.js";
import { ensureRabbitRunning } from "./rabbit.js";
import { type ScenarioOptions, type ScenarioResult, skipped, type Tally } from "./scenario.js";
import type { WorkerProcess } from "./worker.js";

/** The log line of a worker process whose RabbitMQ connection came back. */
export const RECOVERED = "RabbitMQ connection recovered";

/** What these faults need of a load's fault context (the opsq and the ops-core loads both give it). */
export interface WorkerFaultContext {
  /** The current worker. */
  worker: WorkerProcess;
  /** Records checks. */
  readonly tally: Tally;
  /** Which fault this is, from 1. */
  readonly round: number;
  /** Starts a replacement worker and waits until it is ready. */
  restart(): Promise<WorkerProcess>;
}

/** SIGKILLs the worker, checks that it died of it, and starts a replacement. */
export async function sigkillAndRestart(context: WorkerFaultContext): Promise<void> {
  context.worker.signal("SIGKILL");
  const exit = await context.worker.waitExit(5_000);
  context.tally.check(
    exit?.signal === "SIGKILL",
    `fault ${context.round}: the worker did not die of SIGKILL`,
  );
  await context.restart();
}

/** Options of {@link disturbAndAwaitRecovery}. */
export interface RecoveryOptions {
  /** What is awaited, for the timeout error ("the worker to log its recovery"). */
  what: string;
  /** Recoveries to wait for: one per worker process that loses its connection. @default 1 */
  recoveries?: number;
  /** @default 30_000 */
  timeoutMs?: number;
}

/**
 * Runs `disturb` (something that drops the worker's RabbitMQ connection), then waits until the
 * worker has logged {@link RECOVERED} `recoveries` more times than before it.
 */
export async function disturbAndAwaitRecovery(
  context: WorkerFaultContext,
  disturb: () => Promise<unknown>,
  { what, recoveries = 1, timeoutMs = 30_000 }: RecoveryOptions,
): Promise<void> {
  const before = context.worker.count(RECOVERED);
  await disturb();
  await context.worker.waitFor(() => context.worker.count(RECOVERED) >= before + recoveries, what, timeoutMs);
}

/**
 * {@link runLoadWithFaults} for faults that need `rabbitmqctl` (skipped without it) and hit the
 * whole RabbitMQ node: whatever happens, RabbitMQ is running again when it returns.
 */
export async function runLoadWithRabbitFaults(
  options: ScenarioOptions,
  load: LoadOptions,
): Promise<ScenarioResult> {
  if (!options.rabbitmqctl) {
    return skipped("rabbitmqctl is not available");
  }
  try {
    return await runLoadWithFaults(options, load);
  } finally {
    await ensureRabbitRunning();
  }
}
