import { describe, expect, it } from "vitest";
import { RateLimitExceeded } from "../../../src/errors.js";
import { MemoryRateLimiterBackend } from "../../../src/rate-limits/memory.js";
import { WindowRateLimiter } from "../../../src/rate-limits/window.js";

describe("WindowRateLimiter", () => {
  it("allows limit acquisitions per window, then throws RateLimitExceeded until a second leaves it", async () => {
    // Given 2 per 3-second window on a hand-moved clock
    const clock = { now: 1_700_000_000_000 };
    const backend = new MemoryRateLimiterBackend({ now: () => clock.now });
    const limiter = new WindowRateLimiter({ backend, key: "api", limit: 2, windowMs: 3_000 });
    const calls: number[] = [];

    // When it is acquired in second 0 and in second 1, and again in second 2
    await limiter.acquire(() => calls.push(1));
    clock.now += 1_000;
    await limiter.acquire(() => calls.push(2));
    clock.now += 1_500;
    const error = await limiter.acquire(() => calls.push(3)).catch((e: unknown) => e);

    // Then I expect the third refused, naming the window
    expect(error).toBeInstanceOf(RateLimitExceeded);
    expect((error as Error).message).toBe('window rate limit of 2 per 3000 ms reached for key "api"');
    expect(calls).toEqual([1, 2]);

    // And allowed once in second 3, when second 0 left the window (second 1's hit still counts)
    clock.now += 500;
    expect(await limiter.acquire(() => "ok", { raiseOnFailure: false })).toEqual({
      acquired: true,
      value: "ok",
    });
    expect(await limiter.acquire(() => "no", { raiseOnFailure: false })).toEqual({ acquired: false });
  });

  it("counts an acquisition whose fn throws (nothing is released)", async () => {
    const backend = new MemoryRateLimiterBackend({ now: () => 1_700_000_000_000 });
    const limiter = new WindowRateLimiter({ backend, key: "k", limit: 1, windowMs: 1_000 });
    await expect(
      limiter.acquire(() => {
        throw new Error("failed");
      }),
    ).rejects.toThrow("failed");
    await expect(limiter.acquire(() => 1)).rejects.toBeInstanceOf(RateLimitExceeded);
  });
});
