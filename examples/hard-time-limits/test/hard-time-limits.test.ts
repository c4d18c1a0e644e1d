/**
 * examples/hard-time-limits on the in-memory StubBroker: a handler that never yields is killed
 * at its time limit, in a thread and in a process, while the worker's event loop stays free.
 */
import { closeIsolationPools, setBroker, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "./silent-logger.js";

afterAll(() => closeIsolationPools());

describe("examples/hard-time-limits", () => {
  it("kills a 60 s busy loop at its 10 s limit, keeps the event loop free, and runs a short one", async () => {
    // Given the example's isolated actors on a StubBroker, and a worker
    const broker = new StubBroker({ logger: silentLogger });
    setBroker(broker);
    const { crunch, crunchInProcess } = await import("../actors.js");
    const worker = new Worker(broker, { concurrency: 4 });
    await worker.start();
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 50);

    try {
      // When a short crunch runs on each actor (with a generous limit: a runner's first attempt
      // includes its start-up, seconds on a loaded machine), then a 60 s crunch on each
      await crunch.sendWithOptions({ args: [50], timeLimitMs: 60_000 });
      await crunchInProcess.sendWithOptions({ args: [50], timeLimitMs: 60_000 });
      await broker.join("example-hard-limits", { timeoutMs: 60_000 });
      const started = Date.now();
      await crunch.send(60_000);
      await crunchInProcess.send(60_000);
      await broker.join("example-hard-limits", { timeoutMs: 30_000 });
      const elapsedMs = Date.now() - started;

      // Then the long ones were killed at their limit and dead-lettered, well before 60 s
      const reasons = broker.deadLetters("example-hard-limits").map((letter) => String(letter.reason));
      const dead = broker.deadLetteredMessages("example-hard-limits");
      expect(dead.map((message) => message.actorName).sort()).toEqual([
        "hard_limits_crunch",
        "hard_limits_crunch_process",
      ]);
      expect(reasons).toEqual([
        "TimeLimitExceeded: time limit of 10000 ms exceeded",
        "TimeLimitExceeded: time limit of 10000 ms exceeded",
      ]);
      expect(elapsedMs).toBeLessThan(30_000);
      // And this process's event loop kept ticking while the busy loops ran elsewhere
      expect(ticks).toBeGreaterThan(Math.floor(elapsedMs / 50 / 4));
    } finally {
      clearInterval(ticker);
      await worker.stop();
      await broker.close();
    }
  }, 120_000);
});
