import { describe, expect, it } from "vitest";
import { reconnectBackoff } from "../../../src/db/client.js";

describe("reconnectBackoff", () => {
  it("grows like postgres.js's backoff but never waits longer than the cap", () => {
    // Given a 2 s cap
    const backoff = reconnectBackoff(2_000);

    // Then early retries are short, and later ones stay within [cap / 2, cap] seconds
    expect(backoff(1)).toBeLessThanOrEqual(0.03);
    for (const retries of [5, 10, 30, 100]) {
      const seconds = backoff(retries);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(2);
    }
  });
});
