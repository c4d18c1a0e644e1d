/**
 * `ops-core cancel <id>`: cancels a pending or running task.
 *
 * @module
 */
import { openCancellationBackend } from "../../cancellation.js";
import { TaskAlreadyFinishedError } from "../../errors.js";
import { requestCancel } from "../../services/request-cancel.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { type CliIo, configOf } from "../io.js";
import { withStore } from "./open-store.js";

/** Options of {@link cancelCommand}. */
export interface CancelFlags {
  /** Stored as the task's `error_message`. @default "Cancelled." */
  reason?: string;
}

/**
 * Moves the task to `cancelled` (a guarded `pending|running → cancelled`, through the task
 * lifecycle), then cancels its message (see `services/request-cancel.ts`). Prints `<id> cancelled`.
 *
 * @throws {TaskNotFoundError} for an unknown id; CliError (exit 1) when the task is already finished
 */
export async function cancelCommand(taskId: string, flags: CancelFlags, io: CliIo): Promise<void> {
  const config = configOf(io);
  await withStore(config, "cancel", async (store) => {
    const backend = openCancellationBackend(config, config.databaseUrl as string);
    try {
      const outcome = await requestCancel(taskId, flags.reason, {
        store,
        notify: (ids) => backend.cancel(ids),
      });
      if (outcome.notifyError !== null) {
        io.err(
          `ops-core: warning: task ${taskId} is cancelled, but the workers could not be told to stop it at once (${outcome.notifyError}); a running attempt goes on, and its result is dropped`,
        );
      }
      io.out(`${taskId} cancelled`);
    } catch (error) {
      if (error instanceof TaskAlreadyFinishedError) throw new CliError(error.message, ExitCode.FAILED);
      throw error;
    } finally {
      await backend.close();
    }
  });
}
