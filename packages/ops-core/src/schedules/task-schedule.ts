/**
 * A recurring agent task, as `ops-core schedule add` stores it: a goal submitted as an
 * `agent_task` at each tick of a cron expression. The tick's task id is derived from the
 * schedule and the tick, so a tick submitted twice (a leader change) is one task.
 *
 * @module
 */
import { Cron } from "croner";
import { TaskValidationError } from "../errors.js";

/** One stored schedule. */
export interface TaskSchedule {
  /** `sch_<hex>`. */
  readonly scheduleId: string;
  /** Unique label (the task's name at each tick). */
  readonly name: string;
  /** The agent's goal, submitted at each tick. */
  readonly goal: string;
  /** Cron expression (5 fields, or 6 with seconds first). */
  readonly cron: string;
  /** IANA time zone the expression is read in. */
  readonly timezone: string;
  /** When it was added. */
  readonly createdAt: Date;
}

/** The id of the task a schedule submits for its tick at `tick`. */
export function scheduledTaskId(scheduleId: string, tick: Date): string {
  return `${scheduleId}_${tick.toISOString()}`;
}

/**
 * Parses a schedule's expression in its time zone.
 *
 * @throws TaskValidationError (one line) when the expression or the time zone is invalid, or never runs
 */
export function parseCron(cron: string, timezone: string): Cron {
  let pattern: Cron;
  let next: Date | null;
  try {
    pattern = new Cron(cron, { timezone, paused: true });
    next = pattern.nextRun();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TaskValidationError("cron", `invalid "${cron}" (${timezone}): ${reason}`);
  }
  if (next === null) throw new TaskValidationError("cron", `"${cron}" never runs`);
  return pattern;
}
