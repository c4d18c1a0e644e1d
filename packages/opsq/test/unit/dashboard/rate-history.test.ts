/** Rates estimated from samples, and the chart drawn from them. */
import { describe, expect, it } from "vitest";
import { rateChart } from "../../../src/dashboard/chart.js";
import { RateHistory } from "../../../src/dashboard/rate-history.js";

describe("RateHistory", () => {
  it("estimates delivered from the workers' counters and published from that plus the ready change", () => {
    const history = new RateHistory(60_000);
    history.addSample("q", { atMs: 0, ready: 10, processed: 100 });
    history.addSample("q", { atMs: 5_000, ready: 20, processed: 150 });
    expect(history.points("q")).toEqual([{ atMs: 5_000, deliverPerSec: 10, publishPerSec: 12 }]);
    // A worker that went away takes its counter with it: no negative rate.
    history.addSample("q", { atMs: 10_000, ready: 0, processed: 20 });
    expect(history.points("q")[1]).toEqual({ atMs: 10_000, deliverPerSec: 0, publishPerSec: 0 });
    history.addSample("q", { atMs: 80_000, ready: 0, processed: 20 });
    expect(history.points("q").map((p) => p.atMs)).toEqual([80_000]);
  });

  it("draws an inline SVG once it has two points", () => {
    expect(rateChart([]).text).toContain("collecting");
    const svg = rateChart([
      { atMs: 0, publishPerSec: 1, deliverPerSec: 0 },
      { atMs: 5_000, publishPerSec: 4, deliverPerSec: 2 },
    ]).text;
    expect(svg).toMatch(/^<svg class="chart"/);
    expect(svg).toContain("published 4.0/s, delivered 2.0/s");
  });
});
