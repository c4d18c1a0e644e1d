import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { OpsqError } from "../../../src/errors.js";
import { Prometheus } from "../../../src/metrics/middleware.js";
import { enableWorkerMetrics, type WorkerMetrics } from "../../../src/metrics/worker-metrics.js";
import { quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
const enabled: WorkerMetrics[] = [];
afterEach(async () => {
  await pool.stopAll();
  await Promise.all(enabled.splice(0).map((metrics) => metrics.close()));
});

async function enable(broker: StubBroker, port = 0): Promise<WorkerMetrics> {
  const metrics = await enableWorkerMetrics(broker, {
    port,
    host: "127.0.0.1",
    overIpc: false,
    logger: quietLogger(),
  });
  enabled.push(metrics);
  return metrics;
}

describe("enableWorkerMetrics", () => {
  it("adds a Prometheus middleware to the broker and serves its counts over HTTP", async () => {
    // Given a broker without metrics, then metrics enabled
    const broker = new StubBroker({ middleware: [], logger: quietLogger() });
    const hello = defineActor("hello", () => "hi", { broker });
    const metrics = await enable(broker);
    const worker = await pool.start(broker);

    // When two messages run
    await hello.send();
    await hello.send();
    await broker.join("default");
    await worker.join();

    // Then I expect the middleware on the broker, and the counts at the URL
    expect(broker.middleware).toEqual([metrics.prometheus]);
    expect(metrics.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(metrics.url!)).text();
    expect(text).toContain('dramatiq_messages_total{queue_name="default",actor_name="hello"} 2');
  });

  it("reuses the Prometheus middleware the module added, so nothing is counted twice", async () => {
    const own = new Prometheus({ prefix: "app_" });
    const broker = new StubBroker({ middleware: [own], logger: quietLogger() });

    const metrics = await enable(broker);

    expect(metrics.prometheus).toBe(own);
    expect(broker.middleware).toEqual([own]);
    expect(await (await fetch(metrics.url!)).text()).toContain("# TYPE app_messages_total counter");
  });

  it("fails with a one-line OpsqError when the port is taken", async () => {
    const first = await enable(new StubBroker({ middleware: [], logger: quietLogger() }));

    const second = enable(
      new StubBroker({ middleware: [], logger: quietLogger() }),
      Number(new URL(first.url!).port),
    );

    await expect(second).rejects.toThrow(OpsqError);
    await expect(second).rejects.toThrow(
      /^cannot serve metrics on 127\.0\.0\.1:\d+: the port is already in use$/,
    );
  });
});
