import { describe, expect, it } from "vitest";
import { Barrier } from "../../../src/rate-limits/barrier.js";
import { MemoryRateLimiterBackend } from "../../../src/rate-limits/memory.js";

describe("Barrier", () => {
  it("is created once, and clears on the last party's arrival (Dramatiq's example)", async () => {
    const backend = new MemoryRateLimiterBackend();
    const barrier = new Barrier({ backend, key: "b", ttlMs: 30_000 });
    expect(await barrier.create(3)).toBe(true);
    expect(await barrier.create(3)).toBe(false);
    expect(await barrier.wait({ block: false })).toBe(false);
    expect(await barrier.wait({ block: false })).toBe(false);
    expect(await barrier.wait({ block: false })).toBe(true);
  });

  it("releases blocked parties when the last one arrives", async () => {
    // Given a barrier for 3 parties shared by three Barrier objects
    const backend = new MemoryRateLimiterBackend();
    const parties = [1, 2, 3].map(() => new Barrier({ backend, key: "b" }));
    await parties[0]!.create(3);

    // When two block and the third arrives
    const first = parties[0]!.wait();
    const second = parties[1]!.wait({ timeoutMs: 60_000 });
    const third = await parties[2]!.wait({ block: false });

    // Then I expect all three to see the barrier cleared
    expect(third).toBe(true);
    expect(await Promise.all([first, second])).toEqual([true, true]);
  });

  it("returns false when the timeout passes first", async () => {
    const backend = new MemoryRateLimiterBackend();
    const barrier = new Barrier({ backend, key: "b" });
    await barrier.create(2);
    expect(await barrier.wait({ timeoutMs: 10 })).toBe(false);
  });

  it("stops waiting when the signal aborts", async () => {
    const backend = new MemoryRateLimiterBackend();
    const barrier = new Barrier({ backend, key: "b" });
    await barrier.create(2);
    const waiting = barrier.wait({ signal: AbortSignal.timeout(10) });
    await expect(waiting).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("counts an arrival at a barrier that was never created as cleared (as Dramatiq)", async () => {
    const backend = new MemoryRateLimiterBackend();
    expect(await new Barrier({ backend, key: "never" }).wait()).toBe(true);
  });
});
