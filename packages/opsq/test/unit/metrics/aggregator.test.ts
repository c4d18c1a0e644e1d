import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { MetricsAggregator } from "../../../src/metrics/aggregator.js";
import { answerMetricsRequests } from "../../../src/metrics/ipc.js";
import { channelPair, silentEndpoint, type TestEndpoint } from "./channel.js";

/** A worker process's metrics: a counter, a gauge and a histogram, labelled by queue. */
function worker() {
  const registry = new Registry();
  const registers = [registry];
  const labelNames = ["queue"];
  const proc = {
    registry,
    done: new Counter({ name: "done_total", help: "done", labelNames, registers }),
    running: new Gauge({ name: "running", help: "running", labelNames, registers }),
    took: new Histogram({ name: "took_ms", help: "took", labelNames, buckets: [10, 100], registers }),
    /** The supervisor's end of its channel. */
    endpoint: undefined as unknown as TestEndpoint,
    stop: () => {},
  };
  const { parent, child } = channelPair();
  proc.endpoint = parent;
  proc.stop = answerMetricsRequests(registry, child);
  return proc;
}

/** The value of one line of the text format, e.g. `done_total{queue="a"}`. */
function line(text: string, series: string): number | undefined {
  const found = text.split("\n").find((l) => l.startsWith(`${series} `));
  return found === undefined ? undefined : Number(found.slice(series.length + 1));
}

describe("MetricsAggregator", () => {
  it("sums counters, gauges and histograms across processes, label by label", async () => {
    // Given two processes with their own counts
    const one = worker();
    const two = worker();
    one.done.inc({ queue: "a" }, 3);
    two.done.inc({ queue: "a" }, 4);
    two.done.inc({ queue: "b" }, 1);
    one.running.set({ queue: "a" }, 2);
    two.running.set({ queue: "a" }, 1);
    one.took.observe({ queue: "a" }, 5);
    two.took.observe({ queue: "a" }, 50);

    // When the supervisor collects
    const text = await new MetricsAggregator().collect([one.endpoint, two.endpoint]);

    // Then I expect the sums
    expect(line(text, 'done_total{queue="a"}')).toBe(7);
    expect(line(text, 'done_total{queue="b"}')).toBe(1);
    expect(line(text, 'running{queue="a"}')).toBe(3);
    expect(line(text, 'took_ms_bucket{le="10",queue="a"}')).toBe(1);
    expect(line(text, 'took_ms_bucket{le="100",queue="a"}')).toBe(2);
    expect(line(text, 'took_ms_count{queue="a"}')).toBe(2);
    expect(line(text, 'took_ms_sum{queue="a"}')).toBe(55);
    expect(text).toContain("# TYPE done_total counter");
  });

  it("never waits past the timeout: a silent process that never answered adds nothing", async () => {
    // Given one process that answers and one that never does
    const one = worker();
    one.done.inc({ queue: "a" }, 2);

    // When the supervisor collects with a 30 ms timeout
    const text = await new MetricsAggregator({ timeoutMs: 30 }).collect([one.endpoint, silentEndpoint()]);

    // Then I expect the answering process's counts only
    expect(line(text, 'done_total{queue="a"}')).toBe(2);
  });

  it("uses the last answer of a process that stops answering, so counters never go back", async () => {
    // Given two processes, both scraped once
    const aggregator = new MetricsAggregator({ timeoutMs: 30 });
    const one = worker();
    const two = worker();
    one.done.inc({ queue: "a" }, 2);
    two.done.inc({ queue: "a" }, 5);
    expect(line(await aggregator.collect([one.endpoint, two.endpoint]), 'done_total{queue="a"}')).toBe(7);

    // When the second gets busy (no answer) while the first counts on
    two.stop();
    one.done.inc({ queue: "a" }, 1);
    const text = await aggregator.collect([one.endpoint, two.endpoint]);

    // Then I expect the second's last answer in the sum
    expect(line(text, 'done_total{queue="a"}')).toBe(8);
  });

  it("keeps the counters and histograms of exited processes, and drops their gauges", async () => {
    // Given three processes scraped once, each with counts and a gauge
    const aggregator = new MetricsAggregator({ timeoutMs: 30 });
    const processes = [worker(), worker(), worker()];
    for (const [i, p] of processes.entries()) {
      p.done.inc({ queue: "a" }, i + 1);
      p.running.set({ queue: "a" }, 1);
      p.took.observe({ queue: "a" }, 5);
    }
    await aggregator.collect(processes.map((p) => p.endpoint));

    // When two exit, one after the other, and a new one starts in their place
    aggregator.retire(processes[0]!.endpoint);
    const afterFirst = await aggregator.collect(processes.slice(1).map((p) => p.endpoint));
    aggregator.retire(processes[1]!.endpoint);
    const fresh = worker();
    fresh.done.inc({ queue: "a" }, 10);
    const live = [processes[2]!.endpoint, fresh.endpoint];
    const afterSecond = await aggregator.collect(live);
    const again = await aggregator.collect(live);

    // Then I expect every count kept, and only the live processes' gauges
    expect(line(afterFirst, 'done_total{queue="a"}')).toBe(6);
    expect(line(afterFirst, 'running{queue="a"}')).toBe(2);
    expect(line(afterSecond, 'done_total{queue="a"}')).toBe(16);
    expect(line(afterSecond, 'took_ms_count{queue="a"}')).toBe(3);
    expect(line(afterSecond, 'running{queue="a"}')).toBe(1);
    // (Collecting again, once the exited processes were folded into one, gives the same sums.)
    expect(again).toBe(afterSecond);
  });

  it("ignores an answer that arrives after its process was retired", async () => {
    // Given a process scraped once, then asked again but retired before its answer arrives
    const aggregator = new MetricsAggregator({ timeoutMs: 1_000 });
    const one = worker();
    one.done.inc({ queue: "a" }, 1);
    await aggregator.collect([one.endpoint]);
    one.done.inc({ queue: "a" }, 1);
    const collecting = aggregator.collect([one.endpoint]);
    aggregator.retire(one.endpoint);

    // Then I expect it counted once, with the totals it was retired with
    expect(line(await collecting, 'done_total{queue="a"}')).toBe(1);
    expect(line(await aggregator.collect([]), 'done_total{queue="a"}')).toBe(1);
  });
});
