/**
 * examples/rate-limits on the in-memory StubBroker: the example's actors, run by a worker with
 * room for many messages at once, still keep their limits.
 */
import { setBroker, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { describe, expect, it } from "vitest";
import { silentLogger } from "./silent-logger.js";

describe("examples/rate-limits", () => {
  it("runs one reindex at a time and at most 2 pushes per second, retrying the refused ones", async () => {
    // Given the example's actors on a StubBroker, and a worker running up to 8 messages at once
    const broker = new StubBroker({ logger: silentLogger });
    setBroker(broker);
    const { journal, push, reindex } = await import("../actors.js");
    const worker = new Worker(broker, { concurrency: 8 });
    await worker.start();

    try {
      // When 5 reindexes and 6 pushes are sent at once
      for (const name of ["a", "b", "c", "d", "e"]) await reindex.send(name);
      for (let id = 1; id <= 6; id += 1) await push.send(`record-${id}`);
      await broker.join("example-rate-limits", { timeoutMs: 30_000 });

      // Then every reindex ran, never two at once
      expect([...journal.reindexed].sort()).toEqual(["a", "b", "c", "d", "e"]);
      expect(journal.maxRunning).toBe(1);
      // And every push ran, never three within the same second bucket
      expect(journal.pushedAtMs).toHaveLength(6);
      const perSecond = new Map<number, number>();
      for (const at of journal.pushedAtMs) {
        const second = Math.floor(at / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
      expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(2);
      expect(broker.deadLetters("example-rate-limits")).toEqual([]);
    } finally {
      await worker.stop();
      await broker.close();
    }
  }, 40_000);
});
