/**
 * defineSchedule: checked at definition (name, expression, time zone, policy), registered on its
 * actor's broker once per name; and the message of a tick (its tick time and derived id).
 */
import { describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { schedulesOf } from "../../../src/schedules/registry.js";
import { defineSchedule, ScheduleDefinitionError } from "../../../src/schedules/schedule.js";
import { tickMessage, tickMessageId } from "../../../src/schedules/tick-message.js";
import { quietLogger } from "../helpers.js";

function actorOnNewBroker() {
  const broker = new StubBroker({ logger: quietLogger() });
  return defineActor("report", (kind: string, count: number) => `${kind}${count}`, {
    queue: "reports",
    broker,
  });
}

describe("defineSchedule", () => {
  it("registers the schedule on its actor's broker, with defaults", () => {
    const actor = actorOnNewBroker();
    const schedule = defineSchedule({ name: "hourly", cron: "0 * * * *", actor, args: ["daily", 3] });
    expect(schedule).toMatchObject({ name: "hourly", timezone: "UTC", missed: "skip" });
    expect(schedulesOf(actor.broker)).toEqual([schedule]);
  });

  it.each([
    [{ name: "bad name!" }, /^invalid schedule name "bad name!"/],
    [{ cron: "61 * * * *" }, /^schedule "s": invalid cron "61 \* \* \* \*" \(UTC\): /],
    [
      { cron: "0 9 * * *", timezone: "Mars/Olympus" },
      /^schedule "s": invalid cron "0 9 \* \* \*" \(Mars\/Olympus\)/,
    ],
    [{ missed: { catchUp: -2 } }, /^schedule "s": missed must be/],
  ])("refuses %j in one line", (override, message) => {
    const actor = actorOnNewBroker();
    const define = () => defineSchedule({ name: "s", cron: "* * * * *", actor, ...override } as never);
    expect(define).toThrow(ScheduleDefinitionError);
    expect(define).toThrow(message);
  });

  it("refuses a second schedule of the same name on one broker", () => {
    const actor = actorOnNewBroker();
    defineSchedule({ name: "twice", cron: "* * * * *", actor, args: ["a", 1] });
    expect(() => defineSchedule({ name: "twice", cron: "0 * * * *", actor, args: ["a", 1] })).toThrow(
      'schedule "twice" is already defined on this broker',
    );
  });
});

describe("tickMessage", () => {
  it("sends the actor's args and options, the tick time, and an id derived from name and tick", () => {
    const actor = actorOnNewBroker();
    const schedule = defineSchedule({
      name: "nightly",
      cron: "0 3 * * *",
      actor,
      args: ["nightly", 7],
      options: { maxRetries: 2 },
    });
    const tick = new Date("2026-03-01T03:00:00Z");
    const message = tickMessage(schedule, tick);
    expect(message).toMatchObject({ queueName: "reports", actorName: "report", args: ["nightly", 7] });
    expect(message.options).toMatchObject({
      max_retries: 2,
      schedule_tick: "2026-03-01T03:00:00.000Z",
      schedule_name: "nightly",
    });
    expect(message.messageId).toBe(tickMessageId("nightly", tick));
    expect(message.messageId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(tickMessage(schedule, tick).messageId).toBe(message.messageId);
    expect(tickMessageId("nightly", new Date("2026-03-02T03:00:00Z"))).not.toBe(message.messageId);
    expect(tickMessageId("other", tick)).not.toBe(message.messageId);
  });
});
