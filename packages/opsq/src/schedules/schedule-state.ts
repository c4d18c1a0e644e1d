/**
 * The state of a schedule, kept as the one message of its leader queue: the last tick
 * enqueued. The leader holds it unacked; each tick replaces it in the same AMQP transaction
 * as the tick's message, so the next leader reads exactly what was enqueued.
 *
 * @module
 */

/** Prefix of a schedule's leader queue (`opsq.schedule.<name>`). */
export const LEADER_QUEUE_PREFIX = "opsq.schedule.";

/** Suffix of the queue holding a copy of the last state, for `opsq schedules` to read. */
export const LAST_QUEUE_SUFFIX = ".last";

/** The leader queue of schedule `name`. */
export function leaderQueueName(name: string): string {
  return `${LEADER_QUEUE_PREFIX}${name}`;
}

/** The queue holding a readable copy of the last state of schedule `name`. */
export function lastQueueName(name: string): string {
  return `${leaderQueueName(name)}${LAST_QUEUE_SUFFIX}`;
}

/** One state message, version 1. */
export interface ScheduleState {
  /** Format version. */
  v: 1;
  /** The schedule's name. */
  schedule: string;
  /** The last tick enqueued, or the time the schedule was first seen (Unix ms). */
  lastTickMs: number;
  /** When that tick was enqueued (Unix ms); absent for the first state (no tick yet). */
  enqueuedAtMs?: number;
  /** Id of the message of that tick; absent for the first state. */
  messageId?: string;
}

/** Encodes a state as JSON. */
export function encodeState(state: ScheduleState): Buffer {
  return Buffer.from(JSON.stringify(state));
}

/** Decodes a state. @returns undefined when `content` is not a version-1 state */
export function decodeState(content: Buffer | string): ScheduleState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content.toString());
  } catch {
    return undefined;
  }
  const state = value as Partial<ScheduleState> | null;
  if (
    state === null ||
    typeof state !== "object" ||
    state.v !== 1 ||
    typeof state.schedule !== "string" ||
    typeof state.lastTickMs !== "number" ||
    !Number.isFinite(state.lastTickMs)
  ) {
    return undefined;
  }
  return state as ScheduleState;
}
