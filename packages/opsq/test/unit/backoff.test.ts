import { describe, expect, it } from "vitest";
import { computeBackoff } from "../../src/backoff.js";

const bounds = { minBackoffMs: 100, maxBackoffMs: 100_000 };

describe("computeBackoff", () => {
  it.each([0, 1, 2, 5])("gives min * 2^%i * [1, 2) below the cap", (n) => {
    // Given the lowest and (almost) the highest random draw
    const low = computeBackoff(n, { ...bounds, random: () => 0 });
    const high = computeBackoff(n, { ...bounds, random: () => 0.999999 });

    // Then I expect the bounds of min * 2^n * uniform(1, 2)
    expect(low).toBe(100 * 2 ** n);
    expect(high).toBe(Math.round(100 * 2 ** n * 1.999999));
    expect(high).toBeLessThanOrEqual(2 * 100 * 2 ** n);
  });

  it("scales the jitter linearly with the random draw", () => {
    // Given a random draw of one half, then I expect 1.5 × the base
    expect(computeBackoff(3, { ...bounds, random: () => 0.5 })).toBe(1200);
  });

  it("caps above the maximum to max * [0.5, 1)", () => {
    // Given a retry count whose backoff is far above the maximum
    const draws = [0, 0.999999];
    for (const draw of draws) {
      // When I compute it with a stubbed random
      const backoff = computeBackoff(20, { ...bounds, random: () => draw });

      // Then I expect it between half the maximum and the maximum
      expect(backoff).toBeGreaterThanOrEqual(50_000);
      expect(backoff).toBeLessThanOrEqual(100_000);
    }
    expect(computeBackoff(20, { ...bounds, random: () => 0 })).toBe(50_000);
  });

  it("applies the cap only when the jittered value exceeds the maximum", () => {
    // Given min * 2^n just under the maximum, a low draw stays, a high draw is capped
    const options = { minBackoffMs: 1000, maxBackoffMs: 1500 };
    expect(computeBackoff(0, { ...options, random: () => 0.4 })).toBe(1400);
    expect(computeBackoff(0, { ...options, random: () => 0.6 })).toBe(Math.round(1500 * 0.8));
  });

  it("stops growing at 2^32 and stays finite", () => {
    // Given an absurd retry count and an unbounded maximum
    const big = computeBackoff(10_000, { minBackoffMs: 1, maxBackoffMs: Number.MAX_VALUE, random: () => 0 });

    // Then I expect the exponent clamped to 32
    expect(big).toBe(2 ** 32);
  });

  it("returns whole milliseconds and uses Math.random by default", () => {
    for (let n = 0; n < 50; n++) {
      const backoff = computeBackoff(n % 10, bounds);
      expect(Number.isInteger(backoff)).toBe(true);
      expect(backoff).toBeGreaterThanOrEqual(100);
      expect(backoff).toBeLessThanOrEqual(100_000);
    }
  });
});
