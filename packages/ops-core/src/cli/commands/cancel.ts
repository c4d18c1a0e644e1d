/**
 * `ops-core cancel <id>`: cancels a pending or running task.
 *
 * @module
 */
import { openCancellationBackend } from "../../cancellation.js";
import { describeError } from "../../describe-error.js";
import { TaskNotFoundError } from "../../errors.js";
import { cancelTask } from "../../task-lifecycle.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { type CliIo, configOf } from "../io.js";
import { withStore } from "./open-store.js";

/** Options of {@link cancelCommand}. */
export interface CancelFlags {
  /** Stored as the task's `error_message`. @default "Cancelled." */
  reason?: string;
}

/**
 * Moves the task to `cancelled` (a guarded `pending|running → cancelled`, through the task lifecycle), then cancels its
 * message, so that a worker running it aborts the attempt (its LLM request included) and a
 * worker that has not started it acks it without running. Prints `<id> cancelled`.
 *
 * @throws {TaskNotFoundError} for an unknown id; CliError (exit 1) when the task is already finished
 */
export async function cancelCommand(taskId: string, flags: CancelFlags, io: CliIo): Promise<void> {
  const config = configOf(io);
  await withStore(config, "cancel", async (store) => {
    const cancelled = await cancelTask(store, taskId, flags.reason);
    if (!cancelled) {
      const found = await store.findTask(taskId);
      if (!found) throw new TaskNotFoundError(taskId);
      throw new CliError(
        `task ${taskId} is already ${found.status}: only a pending or running task can be cancelled`,
        ExitCode.FAILED,
      );
    }
    // The task is cancelled whatever happens next: a worker still running it cannot complete it.
    const backend = openCancellationBackend(config, config.databaseUrl as string);
    try {
      await backend.cancel([taskId]);
    } catch (error) {
      io.err(
        `ops-core: warning: task ${taskId} is cancelled, but the workers could not be told to stop it at once (${describeError(error)}); a running attempt goes on, and its result is dropped`,
      );
    } finally {
      await backend.close();
    }
    io.out(`${taskId} cancelled`);
  });
}
