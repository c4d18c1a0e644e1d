/**
 * The message a schedule's tick sends: the actor's message with its options, the tick time as
 * the wire option `schedule_tick` (ISO 8601), and an id derived from the schedule's name and
 * the tick, so that a duplicate publish of one tick carries the same id.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Actor, SendOptions } from "../actor.js";
import type { Message } from "../message.js";
import type { Schedule } from "./schedule.js";

/** Wire option carrying the tick time (ISO 8601, UTC) of a scheduled message. */
export const SCHEDULE_TICK_OPTION = "schedule_tick";

/** Wire option carrying the name of the schedule that sent a message. */
export const SCHEDULE_NAME_OPTION = "schedule_name";

/** The message id of schedule `name`'s tick at `tick`: a UUID-shaped hash of both. */
export function tickMessageId(name: string, tick: Date): string {
  const hex = createHash("sha256").update(`${name}\n${tick.toISOString()}`).digest("hex");
  // UUID layout, version 8 (custom), RFC 4122 variant.
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Builds the message of `schedule`'s tick at `tick`. */
export function tickMessage<A extends unknown[]>(schedule: Schedule<A>, tick: Date): Message {
  const options = (schedule.options ?? {}) as SendOptions<unknown[]>;
  const actor = schedule.actor as unknown as Actor<unknown[]>;
  const message = actor.messageWithOptions({
    ...options,
    args: (schedule.args ?? []) as unknown[],
    wireOptions: {
      ...options.wireOptions,
      [SCHEDULE_TICK_OPTION]: tick.toISOString(),
      [SCHEDULE_NAME_OPTION]: schedule.name,
    },
  });
  return message.copy({ messageId: tickMessageId(schedule.name, tick) });
}
