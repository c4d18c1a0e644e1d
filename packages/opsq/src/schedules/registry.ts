/**
 * The schedules defined for each broker: {@link defineSchedule} adds to it, `opsq worker` and
 * `opsq schedules` read it.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import type { Schedule } from "./schedule.js";

const byBroker = new WeakMap<Broker, Map<string, Schedule>>();

/**
 * Adds a schedule to its broker's list.
 *
 * @throws Error when the broker already has a schedule of that name
 */
export function registerSchedule(broker: Broker, schedule: Schedule): void {
  let schedules = byBroker.get(broker);
  if (schedules === undefined) {
    schedules = new Map();
    byBroker.set(broker, schedules);
  }
  if (schedules.has(schedule.name)) {
    throw new Error(`schedule "${schedule.name}" is already defined on this broker`);
  }
  schedules.set(schedule.name, schedule);
}

/** @returns the schedules defined on `broker`, in definition order */
export function schedulesOf(broker: Broker): Schedule[] {
  return [...(byBroker.get(broker)?.values() ?? [])];
}
