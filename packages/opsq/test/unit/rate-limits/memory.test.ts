import { describe, expect, it } from "vitest";
import { MemoryRateLimiterBackend } from "../../../src/rate-limits/memory.js";

/** A backend on a clock the test moves by hand, starting on a whole second. */
function clocked() {
  const clock = { now: 1_700_000_000_000 };
  const backend = new MemoryRateLimiterBackend({ now: () => clock.now });
  return { clock, backend };
}

describe("MemoryRateLimiterBackend: holders", () => {
  it("adds holders up to the limit, and frees a slot when one is removed", async () => {
    const { backend } = clocked();
    expect(await backend.addHolder("k", "a", 2, 1_000)).toBe(true);
    expect(await backend.addHolder("k", "b", 2, 1_000)).toBe(true);
    expect(await backend.addHolder("k", "c", 2, 1_000)).toBe(false);
    await backend.removeHolder("k", "a");
    expect(await backend.addHolder("k", "c", 2, 1_000)).toBe(true);
  });

  it("ignores the removal of a token that does not hold the key", async () => {
    const { backend } = clocked();
    expect(await backend.addHolder("k", "mine", 1, 1_000)).toBe(true);
    await backend.removeHolder("k", "someone-else");
    await backend.removeHolder("other-key", "mine");
    expect(await backend.addHolder("k", "next", 1, 1_000)).toBe(false);
  });

  it("reclaims a holder's slot once its TTL lapses", async () => {
    const { clock, backend } = clocked();
    expect(await backend.addHolder("k", "crashed", 1, 1_000)).toBe(true);
    clock.now += 999;
    expect(await backend.addHolder("k", "next", 1, 1_000)).toBe(false);
    clock.now += 1;
    expect(await backend.addHolder("k", "next", 1, 1_000)).toBe(true);
  });

  it("keeps keys apart", async () => {
    const { backend } = clocked();
    expect(await backend.addHolder("a", "t", 1, 1_000)).toBe(true);
    expect(await backend.addHolder("b", "t", 1, 1_000)).toBe(true);
    expect(await backend.addHit("a", 1, 1_000)).toBe(true);
    expect(await backend.createBarrier("a", 1, 1_000)).toBe(true);
  });
});

describe("MemoryRateLimiterBackend: hits", () => {
  it("counts hits over the last windowMs / 1000 whole seconds", async () => {
    // Given a limit of 3 per 2 seconds
    const { clock, backend } = clocked();
    const hit = () => backend.addHit("k", 3, 2_000);

    // When 2 hits land in second 0 and 1 in second 1
    expect(await hit()).toBe(true);
    expect(await hit()).toBe(true);
    clock.now += 1_500;
    expect(await hit()).toBe(true);

    // Then I expect no more in second 1, one more in second 2 (second 0 left the window), then none
    expect(await hit()).toBe(false);
    clock.now += 500;
    expect(await hit()).toBe(true);
    expect(await hit()).toBe(true);
    expect(await hit()).toBe(false);
    // And a whole window later, the limit again
    clock.now += 2_000;
    expect(await Promise.all([hit(), hit(), hit(), hit()])).toEqual([true, true, true, false]);
  });
});

describe("MemoryRateLimiterBackend: barriers", () => {
  it("creates a barrier once while it lives, and again after it lapses", async () => {
    const { clock, backend } = clocked();
    expect(await backend.createBarrier("b", 2, 1_000)).toBe(true);
    expect(await backend.createBarrier("b", 5, 1_000)).toBe(false);
    clock.now += 1_000;
    expect(await backend.createBarrier("b", 5, 1_000)).toBe(true);
  });

  it("clears on the last expected arrival, and stays cleared", async () => {
    const { backend } = clocked();
    await backend.createBarrier("b", 3, 1_000);
    expect(await backend.arriveAtBarrier("b", 1_000)).toBe(false);
    expect(await backend.arriveAtBarrier("b", 1_000)).toBe(false);
    expect(await backend.arriveAtBarrier("b", 1_000)).toBe(true);
    expect(await backend.arriveAtBarrier("b", 1_000)).toBe(true);
    expect(await backend.waitForBarrier("b")).toBe(true);
  });

  it("counts an arrival at a missing barrier as cleared, but a wait on it as not", async () => {
    const { backend } = clocked();
    expect(await backend.arriveAtBarrier("nothing", 1_000)).toBe(true);
    expect(await backend.waitForBarrier("nothing")).toBe(false);
  });

  it("renews the TTL on each arrival", async () => {
    const { clock, backend } = clocked();
    await backend.createBarrier("b", 3, 1_000);
    clock.now += 900;
    expect(await backend.arriveAtBarrier("b", 1_000)).toBe(false);
    clock.now += 900;
    expect(await backend.arriveAtBarrier("b", 1_000)).toBe(false);
    expect(await backend.createBarrier("b", 3, 1_000)).toBe(false);
  });

  it("wakes every blocked waiter when the barrier clears", async () => {
    const { backend } = clocked();
    await backend.createBarrier("b", 1, 60_000);
    const waiting = [backend.waitForBarrier("b"), backend.waitForBarrier("b", { timeoutMs: 60_000 })];
    expect(await backend.arriveAtBarrier("b", 60_000)).toBe(true);
    expect(await Promise.all(waiting)).toEqual([true, true]);
  });

  it("gives up at the timeout", async () => {
    const { backend } = clocked();
    await backend.createBarrier("b", 2, 60_000);
    expect(await backend.waitForBarrier("b", { timeoutMs: 20 })).toBe(false);
    expect(await backend.waitForBarrier("b", { timeoutMs: 0 })).toBe(false);
  });

  it("stops waiting when the signal aborts", async () => {
    const { backend } = clocked();
    await backend.createBarrier("b", 2, 60_000);
    const controller = new AbortController();
    const waiting = backend.waitForBarrier("b", { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    await expect(backend.waitForBarrier("b", { signal: controller.signal })).rejects.toThrow("stop");
  });

  it("returns false to a waiter whose barrier lapses", async () => {
    // Given a real clock and a barrier that lapses after 30 ms
    const backend = new MemoryRateLimiterBackend();
    await backend.createBarrier("b", 2, 30);
    // When I wait without a timeout, Then I expect false once it lapsed
    expect(await backend.waitForBarrier("b")).toBe(false);
  });
});
