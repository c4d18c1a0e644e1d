/**
 * examples/cancellation on the in-memory StubBroker: a running message is aborted, a waiting
 * one never runs, and neither is retried or dead-lettered.
 */
import { cancel, setBroker, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { describe, expect, it } from "vitest";
import { silentLogger } from "./silent-logger.js";

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("examples/cancellation", () => {
  it("aborts a running report and never starts a cancelled delayed one", async () => {
    // Given the example's actor on a StubBroker, and a worker
    const broker = new StubBroker({ logger: silentLogger });
    setBroker(broker);
    const { buildReport, journal } = await import("../actors.js");
    const worker = new Worker(broker, { concurrency: 4 });
    await worker.start();

    try {
      // When a 100-step report starts, a delayed one waits, and both are cancelled
      const running = await buildReport.send("yearly", 100);
      const later = await buildReport.sendWithOptions({ args: ["weekly", 1], delayMs: 3_000 });
      await buildReport.send("daily", 1);
      await until(() => journal.started.includes("yearly"), 10_000);
      const cancelledAt = Date.now();
      await cancel([running, later]);
      await broker.join("example-cancellation", { timeoutMs: 10_000 });

      // Then the running one was aborted at once, the delayed one never ran, the other one ran
      expect(journal.aborted).toEqual(["yearly: MessageCancelled"]);
      expect(Date.now() - cancelledAt).toBeLessThan(5_000);
      expect(journal.started).toEqual(["yearly", "daily"]);
      expect(journal.finished).toEqual(["daily"]);
      // And neither cancelled message was retried or dead-lettered
      expect(broker.deadLetters("example-cancellation")).toEqual([]);
    } finally {
      await worker.stop();
      await broker.close();
    }
  });
});
