/**
 * WorkerHeartbeat's beat on the StubBroker: who the worker is, its counters by queue, and the
 * delayed messages it holds (forgotten once due). The RabbitMQ it would publish to is
 * unreachable here: beats are skipped, the worker is not disturbed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { WorkerHeartbeat } from "../../../src/heartbeat/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import { Worker } from "../../../src/worker.js";
import { quietLogger } from "../helpers.js";

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop({ timeoutMs: 100 })));
});

describe("WorkerHeartbeat", () => {
  it("beats the worker's identity, counters by queue and the delayed messages it holds", async () => {
    const heartbeat = new WorkerHeartbeat({ url: "amqp://guest:guest@127.0.0.1:1", intervalMs: 60_000 });
    const broker = new StubBroker({
      middleware: [new Retries({ maxRetries: 0 }), heartbeat],
      logger: quietLogger(),
    });
    const ok = defineActor("hb_ok", () => {}, { queue: "alpha", broker });
    const bad = defineActor(
      "hb_bad",
      () => {
        throw new Error("no");
      },
      { queue: "beta", broker },
    );
    expect(heartbeat.beat("running")).toBeUndefined();
    const worker = new Worker(broker, { concurrency: 3 });
    workers.push(worker);
    await worker.start();

    await ok.send();
    await ok.send();
    await bad.send();
    await broker.join("alpha");
    await broker.join("beta");
    const eta = Date.now() + 60_000;
    await ok.sendWithOptions({ args: [], delayMs: 60_000 });
    await expect.poll(() => worker.stats.delayed).toBe(1);

    const beat = heartbeat.beat("running")!;
    expect(beat).toMatchObject({
      v: 1,
      worker: worker.id,
      pid: process.pid,
      queues: ["alpha", "beta"],
      concurrency: 3,
      acked: 2,
      failed: 1,
      deadLettered: 1,
      processed: { alpha: 2, beta: 1 },
      delayedHeld: 1,
      state: "running",
    });
    expect(beat.delayed.alpha!.held).toBe(1);
    expect(Math.abs(beat.delayed.alpha!.nextEtaMs - eta)).toBeLessThan(1_000);
  });
});
