import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { Barrier } from "../../../src/rate-limits/barrier.js";
import { ConcurrentRateLimiter } from "../../../src/rate-limits/concurrent.js";
import { MemoryRateLimiterBackend } from "../../../src/rate-limits/memory.js";
import { PostgresRateLimiterBackend } from "../../../src/rate-limits/postgres.js";
import { WindowRateLimiter } from "../../../src/rate-limits/window.js";

const backend = new MemoryRateLimiterBackend();

/** The error `make` throws, checked to be one line. */
function oneLineError(make: () => unknown): Error {
  let thrown: unknown;
  try {
    make();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Error);
  expect((thrown as Error).message).not.toMatch(/\n/);
  return thrown as Error;
}

describe("rate limiter options", () => {
  it.each([
    [0, "ConcurrentRateLimiter: limit must be a whole number ≥ 1, got 0"],
    [1.5, "ConcurrentRateLimiter: limit must be a whole number ≥ 1, got 1.5"],
    [Number.NaN, "ConcurrentRateLimiter: limit must be a whole number ≥ 1, got NaN"],
    ["2", 'ConcurrentRateLimiter: limit must be a whole number ≥ 1, got "2"'],
  ])("rejects a concurrent limit of %s", (limit, message) => {
    const error = oneLineError(
      () => new ConcurrentRateLimiter({ backend, key: "k", limit: limit as number }),
    );
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(message);
  });

  it("rejects a ttlMs below 1", () => {
    expect(oneLineError(() => new ConcurrentRateLimiter({ backend, key: "k", ttlMs: 0 })).message).toBe(
      "ConcurrentRateLimiter: ttlMs must be a whole number ≥ 1, got 0",
    );
    expect(oneLineError(() => new Barrier({ backend, key: "k", ttlMs: -5 })).message).toBe(
      "Barrier: ttlMs must be a whole number ≥ 1, got -5",
    );
  });

  it.each([1_500, 999, 0, -1_000, 2_000.5])("rejects a windowMs of %s (not whole seconds)", (windowMs) => {
    const error = oneLineError(() => new WindowRateLimiter({ backend, key: "k", limit: 1, windowMs }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(
      `WindowRateLimiter: windowMs must be a whole number of seconds in milliseconds (1000, 2000, …), got ${windowMs}`,
    );
  });

  it("rejects a window limit below 1", () => {
    expect(
      oneLineError(() => new WindowRateLimiter({ backend, key: "k", limit: 0, windowMs: 1_000 })).message,
    ).toBe("WindowRateLimiter: limit must be a whole number ≥ 1, got 0");
  });

  it.each([
    ["", '""'],
    ["line\nbreak", '"line\\nbreak"'],
    ["x".repeat(256), `"${"x".repeat(56)}…`],
    [undefined, "undefined"],
  ])("rejects the key %j", (key, shown) => {
    const error = oneLineError(() => new ConcurrentRateLimiter({ backend, key: key as string }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      `ConcurrentRateLimiter: key must be a string of 1 to 255 characters without control characters, got ${shown}`,
    );
  });

  it("accepts any other key of up to 255 characters", () => {
    expect(new ConcurrentRateLimiter({ backend, key: "user:42/é 🚀" }).key).toBe("user:42/é 🚀");
    expect(new Barrier({ backend, key: "k".repeat(255) }).key).toHaveLength(255);
  });

  it("rejects bad barrier parties and timeouts", async () => {
    const barrier = new Barrier({ backend, key: "b" });
    expect(oneLineError(() => barrier.create(0)).message).toBe(
      "Barrier: parties must be a whole number from 1 to 2147483647, got 0",
    );
    await expect(barrier.wait({ timeoutMs: -1 })).rejects.toThrow(
      "Barrier: timeoutMs must be a number ≥ 0, got -1",
    );
  });
});

describe("PostgresRateLimiterBackend options", () => {
  it("needs exactly one of url and sql", () => {
    const sql = postgres("postgres://nowhere.invalid/db");
    for (const options of [{}, { url: "postgres://x/y", sql }]) {
      expect(oneLineError(() => new PostgresRateLimiterBackend(options)).message).toBe(
        "PostgresRateLimiterBackend needs exactly one of `url` or `sql`",
      );
    }
  });

  it.each(["x; drop table users", "1abc", "a.b.c", 'quo"te', "", "p".repeat(55)])(
    "rejects the table prefix %j",
    (tablePrefix) => {
      const error = oneLineError(
        () => new PostgresRateLimiterBackend({ url: "postgres://x/y", tablePrefix }),
      );
      expect(error.message).toMatch(/^PostgresRateLimiterBackend: invalid tablePrefix .*: use letters/);
    },
  );

  it("accepts a schema-qualified prefix, and rejects bad intervals", () => {
    expect(
      new PostgresRateLimiterBackend({ url: "postgres://x/y", tablePrefix: "ops.limits" }).tablePrefix,
    ).toBe("ops.limits");
    expect(
      oneLineError(() => new PostgresRateLimiterBackend({ url: "postgres://x/y", pollIntervalMs: 0 }))
        .message,
    ).toBe("PostgresRateLimiterBackend: pollIntervalMs must be a whole number ≥ 1, got 0");
  });
});
