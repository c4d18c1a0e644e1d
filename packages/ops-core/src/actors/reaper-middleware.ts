/**
 * The middleware `ops-core/actors` adds to run the stale-task reaper inside each worker
 * process (see `services/reap-stale-tasks.ts`): started when the worker has booted, stopped
 * when it begins to shut down. Many workers may reap at once; the store's guarded updates make
 * each reclaim happen once.
 *
 * @module
 */
import type { Broker, Middleware } from "opsq";
import type { Logger } from "../logger.js";
import { type ReapResult, reapStaleTasks, StaleTaskReaper } from "../services/reap-stale-tasks.js";
import type { TaskStore } from "../task-store-interface.js";

/** Options of {@link reaperMiddleware}. */
export interface ReaperMiddlewareOptions {
  /** The worker's store (opened on first use). */
  store(): Promise<TaskStore>;
  /** Where a requeued task's fresh message is published. */
  broker: Pick<Broker, "enqueue">;
  /** The workers' queue. */
  queue: string;
  /** A `running` task without a heartbeat for this long is stale. */
  staleAfterMs: number;
  /** How often a running task's heartbeat is refreshed (sets the grace after an outage). */
  heartbeatMs: number;
  /** Time between passes; 0 adds no reaper. */
  intervalMs: number;
  /** Claims a task may have before a stale one is failed instead of requeued (`maxRetries + 1`). */
  maxAttempts: number;
  /** Where the reaper logs. */
  logger: Logger;
}

/** A middleware running the reaper between worker boot and shutdown. */
export function reaperMiddleware(options: ReaperMiddlewareOptions): Middleware {
  const reaper = new StaleTaskReaper({
    pass: () => reapOnce(options),
    intervalMs: options.intervalMs,
    graceAfterFailureMs: 2 * options.heartbeatMs + options.intervalMs,
    logger: options.logger,
  });
  return {
    name: "OpsCoreStaleTaskReaper",
    afterWorkerBoot: () => {
      if (options.intervalMs > 0) reaper.start();
    },
    beforeWorkerShutdown: () => reaper.stop(),
  };
}

async function reapOnce(options: ReaperMiddlewareOptions): Promise<ReapResult> {
  return reapStaleTasks({
    store: await options.store(),
    broker: options.broker,
    queue: options.queue,
    staleAfterMs: options.staleAfterMs,
    maxAttempts: options.maxAttempts,
    logger: options.logger,
  });
}
