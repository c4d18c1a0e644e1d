import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { answerMetricsRequests } from "../../../src/metrics/ipc.js";
import { type AggregatedMetrics, serveAggregatedMetrics } from "../../../src/metrics/supervisor-metrics.js";
import { captureLogger } from "../helpers.js";
import { channelPair, type TestEndpoint } from "./channel.js";

const served: AggregatedMetrics[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((metrics) => metrics.close()));
});

/** A worker process that counted `n` messages; returns the supervisor's end of its channel. */
function processCounting(n: number): TestEndpoint {
  const registry = new Registry();
  new Counter({ name: "dramatiq_messages_total", help: "m", registers: [registry] }).inc(n);
  const { parent, child } = channelPair();
  answerMetricsRequests(registry, child);
  return parent;
}

describe("serveAggregatedMetrics", () => {
  it("serves the sum over the live processes, and keeps the counts of exited ones", async () => {
    // Given a supervisor with two live processes, serving on a free port
    const { logger, lines } = captureLogger();
    let live = [processCounting(3), processCounting(4)];
    const metrics = await serveAggregatedMetrics({
      port: 0,
      host: "127.0.0.1",
      logger,
      processes: () => live,
    });
    served.push(metrics);
    const scrape = async () => (await fetch(metrics.url)).text();

    // When Prometheus scrapes, then one process exits and another takes its place
    const before = await scrape();
    metrics.retire(live[0]!);
    live = [live[1]!, processCounting(1)];
    const after = await scrape();

    // Then I expect the sum each time, the exited process's count kept, and the URL logged
    expect(before).toContain("dramatiq_messages_total 7\n");
    expect(after).toContain("dramatiq_messages_total 8\n");
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "serving metrics",
        url: metrics.url,
        port: Number(new URL(metrics.url).port),
      }),
    );
  });
});
