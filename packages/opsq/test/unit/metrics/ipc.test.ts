import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { answerMetricsRequests, requestMetrics } from "../../../src/metrics/ipc.js";
import { channelPair, silentEndpoint } from "./channel.js";

function registryCounting(value: number): Registry {
  const registry = new Registry();
  new Counter({ name: "jobs_total", help: "jobs", labelNames: ["queue"], registers: [registry] }).inc(
    { queue: "q" },
    value,
  );
  return registry;
}

describe("metrics over IPC", () => {
  it("answers a request with the registry's metrics as JSON", async () => {
    // Given a worker process answering on its channel
    const { parent, child } = channelPair();
    const registry = registryCounting(3);
    answerMetricsRequests(registry, child);

    // When the supervisor asks
    const metrics = await requestMetrics(parent, 7, 5_000);

    // Then I expect what getMetricsAsJSON() gives, tagged with the request id
    expect(metrics).toEqual(JSON.parse(JSON.stringify(await registry.getMetricsAsJSON())));
    expect(child.sent).toEqual([{ opsq: "metrics", id: 7, metrics }]);
    expect(parent.sent).toEqual([{ opsq: "metrics?", id: 7 }]);
  });

  it("pairs answers with requests by id", async () => {
    // Given a child that answers, and an unrelated reply already on its way
    const { parent, child } = channelPair();
    answerMetricsRequests(registryCounting(5), child);
    child.send?.({ opsq: "metrics", id: 99, metrics: [] });

    // When two requests are in flight
    const [first, second] = await Promise.all([
      requestMetrics(parent, 1, 5_000),
      requestMetrics(parent, 2, 5_000),
    ]);

    // Then I expect each its own answer, never the stray one
    expect(first?.[0]?.values[0]?.value).toBe(5);
    expect(second?.[0]?.values[0]?.value).toBe(5);
  });

  it("gives up with undefined when no answer comes in time", async () => {
    const endpoint = silentEndpoint();

    const metrics = await requestMetrics(endpoint, 1, 20);

    expect(metrics).toBeUndefined();
    expect(endpoint.sent).toEqual([{ opsq: "metrics?", id: 1 }]);
  });

  it("does not ask a disconnected process, nor fail when the channel closes under it", async () => {
    // Given one endpoint known to be disconnected, and one whose send throws
    const { parent: disconnected } = channelPair();
    disconnected.connected = false;
    const { parent: closing } = channelPair();
    closing.send = () => {
      throw new Error("ERR_IPC_CHANNEL_CLOSED");
    };

    // Then I expect undefined from both, at once
    expect(await requestMetrics(disconnected, 1, 60_000)).toBeUndefined();
    expect(disconnected.sent).toEqual([]);
    expect(await requestMetrics(closing, 2, 60_000)).toBeUndefined();
  });

  it("ignores other messages, and stops answering once told", async () => {
    // Given a child answering requests
    const { parent, child } = channelPair();
    const stop = answerMetricsRequests(registryCounting(1), child);

    // When other messages arrive, then I expect no answer to them
    parent.send?.({ opsq: "ready" });
    parent.send?.("metrics?");
    parent.send?.(null);
    parent.send?.({ opsq: "metrics?", id: "1" });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(child.sent).toEqual([]);

    // And when it stopped answering, a request gets nothing
    stop();
    expect(await requestMetrics(parent, 1, 20)).toBeUndefined();
    expect(child.sent).toEqual([]);
  });
});
