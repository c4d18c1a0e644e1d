/**
 * `ops-core status <id>` and `ops-core list`.
 *
 * @module
 */
import type { TaskStatus } from "../../task.js";
import { formatTable, oneLine } from "../format.js";
import { type CliIo, configOf } from "../io.js";
import { withStore } from "./open-store.js";

/** Prints one task as JSON. @throws {TaskNotFoundError} for an unknown id */
export async function statusCommand(taskId: string, io: CliIo): Promise<void> {
  await withStore(configOf(io), "status", async (store) => {
    io.out(JSON.stringify(await store.getTask(taskId), null, 2));
  });
}

/** Options of {@link listCommand}. */
export interface ListFlags {
  /** Only tasks with this status. */
  status?: TaskStatus;
  /** Page size. */
  limit: number;
  /** Rows to skip. */
  offset: number;
  /** Print JSON instead of a table. */
  json?: boolean;
}

/** Prints a page of tasks, newest first, as a table (or JSON). */
export async function listCommand(flags: ListFlags, io: CliIo): Promise<void> {
  await withStore(configOf(io), "list", async (store) => {
    const filter = flags.status ? { status: flags.status } : {};
    const [tasks, total] = await Promise.all([
      store.listTasks({ ...filter, limit: flags.limit, offset: flags.offset }),
      store.countTasks(filter),
    ]);
    if (flags.json) {
      io.out(JSON.stringify({ tasks, total }, null, 2));
      return;
    }
    const rows = tasks.map((task) => [
      task.taskId,
      task.status,
      String(task.attempts),
      task.createdAt,
      oneLine(task.name ?? task.errorMessage ?? "", 50),
    ]);
    if (rows.length)
      io.out(formatTable([["TASK ID", "STATUS", "ATTEMPTS", "CREATED", "NAME / ERROR"], ...rows]));
    const first = tasks.length ? flags.offset + 1 : flags.offset;
    io.out(`${tasks.length ? `tasks ${first}-${flags.offset + tasks.length}` : "no tasks"} of ${total}`);
  });
}
