/**
 * examples/metrics on the in-memory StubBroker: the embedded worker serves Dramatiq's metrics
 * over HTTP, and they count what the example's actors did.
 */
import { setBroker } from "opsq";
import { StubBroker } from "opsq/testing";
import { describe, expect, it } from "vitest";
import { silentLogger } from "./silent-logger.js";

/** The value of one sample line, e.g. `dramatiq_messages_total{queue_name="q",actor_name="a"} 3`. */
function sample(text: string, metric: string, actor: string): number | undefined {
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${metric}{`) && l.includes(`actor_name="${actor}"`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("examples/metrics", () => {
  it("serves message, error, retry and reject counts of the example's actors on /metrics", async () => {
    // Given the embedded worker on a StubBroker, serving metrics on a free port
    const broker = new StubBroker({ logger: silentLogger });
    setBroker(broker);
    const { flaky, resize } = await import("../actors.js");
    const { startMonitoredWorker } = await import("../embedded.js");
    const monitored = await startMonitoredWorker(broker, 0);

    try {
      // When 5 resizes run, and one flaky call fails its attempt and its retry
      for (let i = 1; i <= 5; i += 1) await resize.send(i);
      await flaky.send(true);
      await flaky.send(false);
      await broker.join("example-metrics", { timeoutMs: 10_000 });
      const response = await fetch(monitored.metrics.url, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();

      // Then the endpoint shows Dramatiq's metrics, labelled by actor
      expect(response.status).toBe(200);
      expect(sample(text, "dramatiq_messages_total", "metrics_resize")).toBe(5);
      expect(sample(text, "dramatiq_messages_total", "metrics_flaky")).toBe(3); // 2 sends + 1 retry
      expect(sample(text, "dramatiq_message_errors_total", "metrics_flaky")).toBe(2);
      expect(sample(text, "dramatiq_message_retries_total", "metrics_flaky")).toBe(1);
      expect(sample(text, "dramatiq_message_rejects_total", "metrics_flaky")).toBe(1);
      expect(sample(text, "dramatiq_messages_inprogress", "metrics_resize")).toBe(0);
      expect(text).toContain("dramatiq_message_duration_milliseconds_bucket");
    } finally {
      await monitored.stop();
      await broker.close();
    }
  });
});
