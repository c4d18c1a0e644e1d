/**
 * A periodic schedule: a cron expression whose every tick sends one message to an actor.
 * Defined in a module with {@link defineSchedule}; `opsq worker <module>` runs it (see
 * docs/SCHEDULES.md for how each tick is enqueued exactly once across workers).
 *
 * @module
 */
import { Cron } from "croner";
import type { Actor, SendOptions } from "../actor.js";
import { isValidName } from "../queue-names.js";
import { checkMissedPolicy, type MissedPolicy } from "./missed-policy.js";
import { registerSchedule } from "./registry.js";

/** What {@link defineSchedule} takes. */
export interface ScheduleDefinition<A extends unknown[] = unknown[]> {
  /** Unique per broker; names the leader queue `opsq.schedule.<name>`. */
  name: string;
  /** Cron expression, 5 fields (minute first) or 6 (seconds first), as croner reads it. */
  cron: string;
  /** IANA time zone the expression is read in. @default "UTC" */
  timezone?: string;
  /** The actor each tick sends a message to. */
  actor: Actor<A>;
  /** Positional arguments of every message (typed by the actor). @default [] */
  args?: NoInfer<A>;
  /** Per-message options of every message (as `sendWithOptions`, without `args` and `delayMs`). */
  options?: Omit<SendOptions<NoInfer<A>>, "args" | "delayMs">;
  /** What to do with ticks missed while no worker ran the schedule. @default "skip" */
  missed?: MissedPolicy;
}

/** A schedule, checked and registered on its actor's broker. */
export interface Schedule<A extends unknown[] = unknown[]> extends Readonly<ScheduleDefinition<A>> {
  /** The time zone, defaulted. */
  readonly timezone: string;
  /** The policy, defaulted. */
  readonly missed: MissedPolicy;
  /** The parsed expression (paused: never runs a callback). */
  readonly pattern: Cron;
}

/** A schedule that cannot be defined (bad name, cron expression, time zone or policy). */
export class ScheduleDefinitionError extends Error {
  override readonly name = "ScheduleDefinitionError";
}

/**
 * Defines a schedule and registers it on the broker of its actor; `opsq worker` runs the
 * schedules of the modules it imports.
 *
 * @throws ScheduleDefinitionError on a bad name, expression, time zone or missed policy, or a
 *   name already used on that broker
 */
export function defineSchedule<A extends unknown[]>(definition: ScheduleDefinition<A>): Schedule<A> {
  const { name, cron, actor } = definition;
  if (typeof name !== "string" || !isValidName(name)) {
    throw new ScheduleDefinitionError(
      `invalid schedule name ${JSON.stringify(name)}: use letters, digits, "_", "." or "-"`,
    );
  }
  const timezone = definition.timezone ?? "UTC";
  let pattern: Cron;
  let next: Date | null;
  try {
    pattern = new Cron(cron, { timezone, paused: true });
    next = pattern.nextRun();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ScheduleDefinitionError(`schedule "${name}": invalid cron "${cron}" (${timezone}): ${reason}`);
  }
  if (next === null) {
    throw new ScheduleDefinitionError(`schedule "${name}": cron "${cron}" never runs`);
  }
  const missed = definition.missed ?? "skip";
  const problem = checkMissedPolicy(missed);
  if (problem !== undefined) {
    throw new ScheduleDefinitionError(`schedule "${name}": ${problem}`);
  }
  const schedule: Schedule<A> = Object.freeze({ ...definition, timezone, missed, pattern });
  registerSchedule(actor.broker, schedule as unknown as Schedule);
  return schedule;
}
