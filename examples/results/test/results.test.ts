/**
 * examples/results on the in-memory StubBroker: the example's own actors and flow, run by a
 * worker in this process, with results in memory.
 */
import { setBroker, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { describe, expect, it } from "vitest";
import { silentLogger } from "./silent-logger.js";

describe("examples/results", () => {
  it("reads a result, a stored failure, a group's results and its callback's result", async () => {
    // Given the example's actors on a StubBroker, and a worker
    const broker = new StubBroker({ logger: silentLogger });
    setBroker(broker);
    await import("../actors.js");
    const { runResultsFlow } = await import("../flow.js");
    const worker = new Worker(broker, { concurrency: 4 });
    await worker.start();

    try {
      // When the producer's flow runs
      const outcome = await runResultsFlow(10_000);

      // Then each value was stored by the worker and read back
      expect(outcome).toEqual({
        sum: 3,
        failure: "Error: nothing to count",
        groupResults: [2, 4, 3],
        callbackResult: "3 members",
      });
      expect(broker.deadLetteredMessages("example-results").map((m) => m.actorName)).toEqual([
        "results_count_words",
      ]);
    } finally {
      await worker.stop();
      await broker.close();
    }
  });
});
