import { describe, expect, it } from "vitest";
import { OpsqError } from "../../src/errors.js";
import { cappedBackoff, checkTableName, ignoreCreateRace, LazyPostgres } from "../../src/postgres-client.js";

describe("LazyPostgres", () => {
  it("needs exactly one of url and sql", () => {
    const setUp = async () => {};
    expect(() => new LazyPostgres("Thing", {}, setUp)).toThrow("Thing needs exactly one of `url` or `sql`");
    expect(() => new LazyPostgres("Thing", { url: "postgres://x", sql: {} as never }, setUp)).toThrow(
      OpsqError,
    );
  });

  it("opens nothing until first used, so close() before use is a no-op", async () => {
    let setUps = 0;
    const pg = new LazyPostgres("Thing", { url: "postgres://nobody@127.0.0.1:1/none" }, async () => {
      setUps++;
    });
    await pg.close();
    expect(setUps).toBe(0);
  });
});

describe("checkTableName", () => {
  it("accepts plain and schema-qualified names, and names the owner and the bad name otherwise", () => {
    expect(checkTableName("B", "opsq_results")).toBe("opsq_results");
    expect(checkTableName("B", "ops.results")).toBe("ops.results");
    for (const bad of ["bad-name", "1table", "a.b.c", "x; drop table y", ""]) {
      expect(() => checkTableName("B", bad)).toThrow(`B: invalid table name ${JSON.stringify(bad)}`);
    }
  });
});

describe("ignoreCreateRace", () => {
  it("ignores a concurrent creation, and rethrows anything else", async () => {
    await expect(
      ignoreCreateRace(Promise.reject(Object.assign(new Error("dup"), { code: "23505" }))),
    ).resolves.toBeUndefined();
    await expect(
      ignoreCreateRace(Promise.reject(Object.assign(new Error("exists"), { code: "42P07" }))),
    ).resolves.toBeUndefined();
    await expect(
      ignoreCreateRace(Promise.reject(Object.assign(new Error("denied"), { code: "42501" }))),
    ).rejects.toThrow("denied");
  });
});

describe("cappedBackoff", () => {
  it("grows like postgres.js's backoff but never waits longer than the cap", () => {
    const backoff = cappedBackoff(2_000);
    expect(backoff(1)).toBeLessThanOrEqual(0.03);
    for (const retries of [5, 10, 100]) {
      expect(backoff(retries)).toBeGreaterThanOrEqual(1);
      expect(backoff(retries)).toBeLessThanOrEqual(2);
    }
  });
});
