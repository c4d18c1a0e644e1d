/**
 * The `task_schedule` table: add, list and remove recurring agent tasks.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { asc, eq, or } from "drizzle-orm";
import type { DatabaseHandle } from "../db/client.js";
import { taskSchedule } from "../db/schema.js";
import { TaskValidationError } from "../errors.js";
import { parseCron, type TaskSchedule } from "./task-schedule.js";

/** What `ops-core schedule add` takes. */
export interface NewTaskSchedule {
  /** The agent's goal. */
  goal: string;
  /** Cron expression. */
  cron: string;
  /** @default "UTC" */
  timezone?: string;
  /** Unique label. @default the schedule id */
  name?: string;
}

/** Reads and writes `task_schedule`. */
export class ScheduleStore {
  readonly #handle: DatabaseHandle;

  /** @param handle an open database, migrated */
  constructor(handle: DatabaseHandle) {
    this.#handle = handle;
  }

  /**
   * Stores a schedule, after checking its expression and time zone.
   *
   * @throws TaskValidationError on a bad goal, expression, time zone, or a name already used
   */
  async add(input: NewTaskSchedule): Promise<TaskSchedule> {
    const goal = input.goal.trim();
    if (goal === "") throw new TaskValidationError("goal", "required");
    const timezone = input.timezone ?? "UTC";
    parseCron(input.cron, timezone);
    const scheduleId = `sch_${randomBytes(6).toString("hex")}`;
    const name = input.name?.trim() || scheduleId;
    if (name.length > 200) throw new TaskValidationError("name", "at most 200 characters");
    const rows = await this.#handle.db
      .insert(taskSchedule)
      .values({ scheduleId, name, goal, cron: input.cron, timezone })
      .onConflictDoNothing()
      .returning();
    const row = rows[0];
    if (row === undefined) throw new TaskValidationError("name", `a schedule named "${name}" exists already`);
    return row;
  }

  /** Every schedule, oldest first. */
  async list(): Promise<TaskSchedule[]> {
    return this.#handle.db.select().from(taskSchedule).orderBy(asc(taskSchedule.createdAt));
  }

  /** Removes the schedule with this id (or name). @returns whether one was removed */
  async remove(idOrName: string): Promise<boolean> {
    const rows = await this.#handle.db
      .delete(taskSchedule)
      .where(or(eq(taskSchedule.scheduleId, idOrName), eq(taskSchedule.name, idOrName)))
      .returning({ scheduleId: taskSchedule.scheduleId });
    return rows.length > 0;
  }
}
