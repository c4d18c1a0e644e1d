import { describe, expect, it } from "vitest";
import { toIsoTimestamp } from "../../../src/db/raw-query.js";

describe("toIsoTimestamp", () => {
  it("rewrites PostgreSQL's UTC text as Date would, milliseconds truncated", () => {
    for (const text of [
      "2026-11-23 10:00:00.123456+00",
      "2026-11-23 10:00:00.1+00",
      "2026-11-23 10:00:00+00",
      "2026-11-23 23:59:59.999999+00",
    ]) {
      expect(toIsoTimestamp(text)).toBe(new Date(text).toISOString());
    }
    expect(toIsoTimestamp("2026-11-23 10:00:00.123456+00")).toBe("2026-11-23T10:00:00.123Z");
  });

  it("converts other offsets, Date objects and null", () => {
    expect(toIsoTimestamp("2026-11-23 10:00:00.5+02")).toBe("2026-11-23T08:00:00.500Z");
    expect(toIsoTimestamp("2026-11-23 10:00:00+05:30")).toBe("2026-11-23T04:30:00.000Z");
    expect(toIsoTimestamp(new Date(Date.UTC(2026, 10, 23, 10)))).toBe("2026-11-23T10:00:00.000Z");
    expect(toIsoTimestamp(null)).toBeNull();
  });
});
