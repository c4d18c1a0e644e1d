/**
 * `ops-core reap`: one pass of the stale-task reaper that every worker runs periodically (see
 * `services/reap-stale-tasks.ts`), for an operator who wants it now (or runs no worker).
 *
 * @module
 */
import type { Logger } from "../../logger.js";
import { reapStaleTasks } from "../../services/reap-stale-tasks.js";
import type { CliIo } from "../io.js";
import { configOf } from "../io.js";
import { withStore } from "./open-store.js";

/** Options of {@link reapCommand}. */
export interface ReapFlags {
  /** A `running` task without a heartbeat for this many ms is stale. @default OPS_CORE_STALE_AFTER_MS */
  staleAfter?: number;
}

/**
 * Requeues the stale `running` tasks that have attempts left (a fresh message on
 * `OPS_CORE_QUEUE`) and fails those whose attempts are spent; prints one line per task and a
 * summary (`reaped: 2 requeued, 1 failed`).
 */
export async function reapCommand(flags: ReapFlags, io: CliIo): Promise<void> {
  const config = configOf(io);
  await withStore(config, "reap", async (store) => {
    const { RabbitmqBroker } = await import("opsq");
    const broker = new RabbitmqBroker({ url: config.rabbitmqUrl });
    try {
      const result = await reapStaleTasks({
        store,
        broker,
        queue: config.actor.queue,
        staleAfterMs: flags.staleAfter ?? config.actor.staleAfterMs,
        maxAttempts: config.actor.maxRetries + 1,
        logger: lineLogger(io),
      });
      io.out(`reaped: ${result.requeued.length} requeued, ${result.failed.length} failed`);
    } finally {
      await broker.close().catch(() => {});
    }
  });
}

/** Prints each reclaimed task as `<task id> <what happened>`. */
function lineLogger(io: CliIo): Logger {
  const line = (details: object, message: string) => {
    const { taskId, reason } = details as { taskId?: string; reason?: string };
    io.out(`${taskId ?? "-"} ${message}${reason ? ` (${reason})` : ""}`);
  };
  return { debug: () => {}, info: line, warn: line, error: line };
}
