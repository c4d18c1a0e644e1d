/**
 * The missed-ticks policy: which ticks a new leader owes after downtime, under "skip" and
 * "catch up N", and the tick that is just due (never missed).
 */
import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { checkMissedPolicy, ticksOwed } from "../../../src/schedules/missed-policy.js";

const everyMinute = new Cron("* * * * *", { timezone: "UTC", paused: true });
const at = (time: string) => Date.parse(`2026-03-01T${time}Z`);
const iso = (dates: Date[]) => dates.map((date) => date.toISOString().slice(11, 19));

describe("ticksOwed", () => {
  it("owes nothing before the next tick", () => {
    expect(ticksOwed(everyMinute, at("10:00:00"), at("10:00:59"), "skip")).toEqual([]);
    expect(ticksOwed(everyMinute, at("10:00:00"), at("10:00:59"), { catchUp: 5 })).toEqual([]);
  });

  it("owes the tick just due, within the grace, under every policy", () => {
    expect(iso(ticksOwed(everyMinute, at("10:00:00"), at("10:01:00.400"), "skip"))).toEqual(["10:01:00"]);
    expect(iso(ticksOwed(everyMinute, at("10:00:00"), at("10:01:00.400"), { catchUp: 0 }))).toEqual([
      "10:01:00",
    ]);
  });

  it("skips every missed tick under skip, the due one included once it is past the grace", () => {
    expect(ticksOwed(everyMinute, at("10:00:00"), at("10:05:30"), "skip")).toEqual([]);
    expect(iso(ticksOwed(everyMinute, at("10:00:00"), at("10:05:00.200"), "skip"))).toEqual(["10:05:00"]);
  });

  it("catches up at most N missed ticks, the latest ones, oldest first", () => {
    expect(iso(ticksOwed(everyMinute, at("10:00:00"), at("10:05:30"), { catchUp: 2 }))).toEqual([
      "10:04:00",
      "10:05:00",
    ]);
    expect(iso(ticksOwed(everyMinute, at("10:00:00"), at("10:03:30"), { catchUp: 10 }))).toEqual([
      "10:01:00",
      "10:02:00",
      "10:03:00",
    ]);
  });

  it("catches up N missed ticks and also the one just due", () => {
    expect(iso(ticksOwed(everyMinute, at("10:00:00"), at("10:03:00.100"), { catchUp: 1 }))).toEqual([
      "10:02:00",
      "10:03:00",
    ]);
  });

  it("owes nothing when no tick was ever known", () => {
    expect(ticksOwed(everyMinute, undefined, at("10:03:00"), { catchUp: 3 })).toEqual([]);
  });

  it("reads the expression in the schedule's time zone", () => {
    const nineInParis = new Cron("0 9 * * *", { timezone: "Europe/Paris", paused: true });
    // 09:00 in Paris in March (UTC+1) is 08:00 UTC.
    expect(iso(ticksOwed(nineInParis, at("07:00:00"), at("09:00:00"), { catchUp: 1 }))).toEqual(["08:00:00"]);
  });
});

describe("checkMissedPolicy", () => {
  it.each(["skip", { catchUp: 0 }, { catchUp: 1000 }])("accepts %j", (policy) => {
    expect(checkMissedPolicy(policy)).toBeUndefined();
  });

  it.each(["all", { catchUp: -1 }, { catchUp: 1.5 }, { catchUp: 1001 }, {}, null])("refuses %j", (policy) => {
    expect(checkMissedPolicy(policy)).toMatch(/^missed must be "skip" or \{ catchUp: N \}/);
  });
});
