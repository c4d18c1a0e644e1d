/**
 * What `opsq schedules` prints about each schedule: its expression, actor, next runs and the
 * last tick enqueued (read from the state the leaders keep).
 *
 * @module
 */
import type { Schedule } from "./schedule.js";
import type { ScheduleState } from "./schedule-state.js";

/** One schedule, described. */
export interface ScheduleListing {
  /** The schedule's name. */
  name: string;
  /** Its cron expression. */
  cron: string;
  /** Its time zone. */
  timezone: string;
  /** The actor its ticks are sent to. */
  actor: string;
  /** Its missed-ticks policy, as text (`skip`, `catch up 5`). */
  missed: string;
  /** The next runs after `now`, ISO 8601 (UTC). */
  nextRuns: string[];
  /** The last tick enqueued, ISO 8601 (UTC); null when none was (or nothing is known). */
  lastTick: string | null;
  /** When that tick was enqueued, ISO 8601 (UTC); null when none was. */
  lastEnqueuedAt: string | null;
}

/**
 * Describes a schedule.
 *
 * @param state the schedule's last state, if known
 * @param nowMs the time the next runs follow (Unix ms)
 * @param count how many next runs @default 3
 */
export function describeSchedule(
  schedule: Schedule,
  state: ScheduleState | undefined,
  nowMs: number,
  count = 3,
): ScheduleListing {
  const enqueued = state?.enqueuedAtMs !== undefined;
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    actor: schedule.actor.name,
    missed: schedule.missed === "skip" ? "skip" : `catch up ${schedule.missed.catchUp}`,
    nextRuns: schedule.pattern.nextRuns(count, new Date(nowMs)).map((run) => run.toISOString()),
    lastTick: enqueued ? new Date(state.lastTickMs).toISOString() : null,
    lastEnqueuedAt: enqueued ? new Date(state.enqueuedAtMs!).toISOString() : null,
  };
}

/** The listings as a text block: one paragraph per schedule. */
export function formatListings(listings: readonly ScheduleListing[]): string {
  if (listings.length === 0) {
    return "no schedules defined\n";
  }
  return listings
    .map((each) =>
      [
        `${each.name}  ${each.cron}  (${each.timezone})  → ${each.actor}  missed: ${each.missed}`,
        `  next: ${each.nextRuns.join(", ") || "never"}`,
        `  last enqueue: ${each.lastTick === null ? "never" : `tick ${each.lastTick} at ${each.lastEnqueuedAt}`}`,
      ].join("\n"),
    )
    .join("\n")
    .concat("\n");
}
