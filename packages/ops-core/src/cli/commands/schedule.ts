/**
 * `ops-core schedule add|list|remove`: recurring agent tasks stored in `task_schedule`; the
 * ops-core workers run them (`schedules/schedule-runner.ts`).
 *
 * @module
 */
import { requireDatabaseUrl } from "../../config.js";
import type { ScheduleStore } from "../../schedules/schedule-store.js";
import { parseCron, type TaskSchedule } from "../../schedules/task-schedule.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { type CliIo, configOf } from "../io.js";

/** Options of `ops-core schedule add`. */
export interface ScheduleAddFlags {
  /** Cron expression. */
  cron: string;
  /** IANA time zone. @default "UTC" */
  timezone?: string;
  /** Unique label. */
  name?: string;
}

/** Options of `ops-core schedule list`. */
export interface ScheduleListFlags {
  /** Print JSON. */
  json?: boolean;
}

/** Stores a schedule; prints its id and next run. */
export async function scheduleAddCommand(goal: string, flags: ScheduleAddFlags, io: CliIo): Promise<void> {
  await withScheduleStore(io, "schedule add", async (store) => {
    const schedule = await store.add({ goal, ...flags });
    io.out(`${schedule.scheduleId} added: next run ${nextRun(schedule)}`);
  });
}

/** Prints the stored schedules with their next run. */
export async function scheduleListCommand(flags: ScheduleListFlags, io: CliIo): Promise<void> {
  await withScheduleStore(io, "schedule list", async (store) => {
    const schedules = await store.list();
    if (flags.json) {
      io.out(
        JSON.stringify(
          schedules.map((each) => ({ ...each, nextRun: nextRun(each) })),
          null,
          2,
        ),
      );
      return;
    }
    if (schedules.length === 0) {
      io.out("no schedules");
      return;
    }
    for (const each of schedules) {
      io.out(
        `${each.scheduleId}  ${each.name}  ${each.cron} (${each.timezone})  next ${nextRun(each)}  ${JSON.stringify(each.goal)}`,
      );
    }
  });
}

/** Removes a schedule by id or name. @throws CliError (exit 1) when there is none */
export async function scheduleRemoveCommand(idOrName: string, io: CliIo): Promise<void> {
  await withScheduleStore(io, "schedule remove", async (store) => {
    if (!(await store.remove(idOrName))) {
      throw new CliError(`no schedule ${JSON.stringify(idOrName)}`, ExitCode.FAILED);
    }
    io.out(`${idOrName} removed`);
  });
}

function nextRun(schedule: TaskSchedule): string {
  return parseCron(schedule.cron, schedule.timezone).nextRun()?.toISOString() ?? "never";
}

async function withScheduleStore(
  io: CliIo,
  command: string,
  work: (store: ScheduleStore) => Promise<void>,
): Promise<void> {
  const config = configOf(io);
  const databaseUrl = requireDatabaseUrl(config, `\`ops-core ${command}\``);
  const [{ openDatabase }, { ScheduleStore }] = await Promise.all([
    import("../../db/client.js"),
    import("../../schedules/schedule-store.js"),
  ]);
  const handle = await openDatabase(databaseUrl, { schema: config.databaseSchema, maxConnections: 1 });
  try {
    await work(new ScheduleStore(handle));
  } finally {
    await handle.close();
  }
}
