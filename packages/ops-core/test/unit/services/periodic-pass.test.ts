import { describe, expect, it } from "vitest";
import { PeriodicPass } from "../../../src/services/periodic-pass.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PeriodicPass", () => {
  it("runs one pass at a time, skipping ticks while one runs, and stop waits for the pass under way", async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    let finished = 0;
    const periodic = new PeriodicPass(async () => {
      running++;
      passes++;
      most = Math.max(most, running);
      await pause(60); // longer than the interval: the ticks meanwhile are skipped
      running--;
      finished++;
    }, 10);
    periodic.start();
    periodic.start(); // a second start adds no second timer
    await pause(200);
    await periodic.stop();
    expect(most).toBe(1);
    expect(passes).toBeGreaterThanOrEqual(2);
    expect(finished).toBe(passes); // stop waited for the last one
    await pause(50);
    expect(passes).toBe(finished); // and no pass started after stop
  });
});
