/**
 * The listing of `opsq schedules`: next runs in the schedule's time zone, and the last enqueue
 * from the state (none before the first tick).
 */
import { describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { defineSchedule } from "../../../src/schedules/schedule.js";
import { describeSchedule, formatListings } from "../../../src/schedules/schedule-listing.js";
import { decodeState, encodeState } from "../../../src/schedules/schedule-state.js";
import { quietLogger } from "../helpers.js";

const broker = new StubBroker({ logger: quietLogger() });
const actor = defineActor("cleanup", () => {}, { broker });
const schedule = defineSchedule({
  name: "morning",
  cron: "30 8 * * 1-5",
  timezone: "America/New_York",
  actor,
  missed: { catchUp: 2 },
});
const nowMs = Date.parse("2026-03-06T14:00:00Z"); // a Friday, after its 08:30 in New York

describe("describeSchedule", () => {
  it("lists the next 3 runs, in the time zone, and no last enqueue before the first tick", () => {
    const seed = { v: 1 as const, schedule: "morning", lastTickMs: nowMs - 1_000 };
    expect(describeSchedule(schedule, seed, nowMs)).toEqual({
      name: "morning",
      cron: "30 8 * * 1-5",
      timezone: "America/New_York",
      actor: "cleanup",
      missed: "catch up 2",
      // Monday to Wednesday 08:30 in New York (UTC-5, then UTC-4 from Sunday 8 March).
      nextRuns: ["2026-03-09T12:30:00.000Z", "2026-03-10T12:30:00.000Z", "2026-03-11T12:30:00.000Z"],
      lastTick: null,
      lastEnqueuedAt: null,
    });
  });

  it("shows the last tick enqueued and when, from the state", () => {
    const state = decodeState(
      encodeState({
        v: 1,
        schedule: "morning",
        lastTickMs: Date.parse("2026-03-06T13:30:00Z"),
        enqueuedAtMs: Date.parse("2026-03-06T13:30:00.012Z"),
        messageId: "x",
      }),
    );
    const listing = describeSchedule(schedule, state, nowMs, 1);
    expect(listing).toMatchObject({
      nextRuns: ["2026-03-09T12:30:00.000Z"],
      lastTick: "2026-03-06T13:30:00.000Z",
      lastEnqueuedAt: "2026-03-06T13:30:00.012Z",
    });
    expect(formatListings([listing])).toBe(
      [
        "morning  30 8 * * 1-5  (America/New_York)  → cleanup  missed: catch up 2",
        "  next: 2026-03-09T12:30:00.000Z",
        "  last enqueue: tick 2026-03-06T13:30:00.000Z at 2026-03-06T13:30:00.012Z",
        "",
      ].join("\n"),
    );
  });

  it("says so when there are no schedules, and reads no state from junk", () => {
    expect(formatListings([])).toBe("no schedules defined\n");
    expect(decodeState("{nope")).toBeUndefined();
    expect(decodeState(JSON.stringify({ v: 2, schedule: "a", lastTickMs: 1 }))).toBeUndefined();
  });
});
