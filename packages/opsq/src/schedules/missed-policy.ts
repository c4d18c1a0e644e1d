/**
 * What a schedule does with the ticks nobody enqueued (every worker down, or a leader change):
 * `"skip"` enqueues none of them, `{ catchUp: N }` enqueues at most the last N, oldest first.
 *
 * @module
 */
import type { Cron } from "croner";

/** The policy for missed ticks. */
export type MissedPolicy = "skip" | { readonly catchUp: number };

/** Longest catch-up accepted (ticks per leader start). */
export const MAX_CATCH_UP = 1_000;

/** @returns why `policy` is invalid, or undefined */
export function checkMissedPolicy(policy: unknown): string | undefined {
  if (policy === "skip") {
    return undefined;
  }
  const catchUp = (policy as { catchUp?: unknown } | null)?.catchUp;
  if (
    typeof catchUp === "number" &&
    Number.isSafeInteger(catchUp) &&
    catchUp >= 0 &&
    catchUp <= MAX_CATCH_UP
  ) {
    return undefined;
  }
  return `missed must be "skip" or { catchUp: N } with N a whole number from 0 to ${MAX_CATCH_UP}, got ${JSON.stringify(policy)}`;
}

/**
 * The ticks owed now: those after `lastTickMs` and at or before `nowMs`, as the policy keeps
 * them (a tick that is just due, within `graceMs`, is never "missed": it is the current one).
 *
 * @param pattern the schedule's expression
 * @param lastTickMs the last tick enqueued (Unix ms), or undefined when none ever was
 * @param nowMs the time now (Unix ms)
 * @param graceMs how late a tick may be and still count as on time @default 1000
 * @returns tick times, oldest first
 */
export function ticksOwed(
  pattern: Cron,
  lastTickMs: number | undefined,
  nowMs: number,
  policy: MissedPolicy,
  graceMs = 1_000,
): Date[] {
  if (lastTickMs === undefined) {
    return [];
  }
  const limit = policy === "skip" ? 0 : policy.catchUp;
  const owed: Date[] = [];
  let onTime: Date | undefined;
  let cursor: Date | null = new Date(lastTickMs);
  for (;;) {
    cursor = pattern.nextRun(cursor);
    if (cursor === null || cursor.getTime() > nowMs) {
      break;
    }
    if (cursor.getTime() >= nowMs - graceMs) {
      onTime = cursor;
      break;
    }
    owed.push(cursor);
    if (owed.length > limit) {
      owed.shift();
    }
  }
  const kept = limit === 0 ? [] : owed;
  return onTime === undefined ? kept : [...kept, onTime];
}
