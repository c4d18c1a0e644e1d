/**
 * Compile-time tests of defineSchedule: its args and options are typed by its actor.
 * Checked by tsc through vitest's typecheck mode (`vitest run --project types`).
 */
import { describe, expectTypeOf, it } from "vitest";
import { defineActor, defineSchedule, type MissedPolicy, type Schedule } from "../../src/index.js";
import { StubBroker } from "../../src/testing.js";

const broker = new StubBroker();
const report = defineActor("typed_report", (kind: string, count: number) => `${kind}${count}`, { broker });

describe("defineSchedule", () => {
  it("takes the actor's argument types", () => {
    const schedule = defineSchedule({ name: "t1", cron: "0 * * * *", actor: report, args: ["a", 1] });
    expectTypeOf(schedule).toEqualTypeOf<Schedule<[kind: string, count: number]>>();
    expectTypeOf(schedule.missed).toEqualTypeOf<MissedPolicy>();
    // @ts-expect-error a number where the actor takes a string
    defineSchedule({ name: "t2", cron: "0 * * * *", actor: report, args: [1, 1] });
    // @ts-expect-error an unknown missed policy
    defineSchedule({ name: "t3", cron: "0 * * * *", actor: report, args: ["a", 1], missed: "all" });
  });
});
