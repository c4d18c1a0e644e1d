/**
 * Compile-time tests of opsq's own type for a postgres.js client: a real `postgres.Sql`
 * is accepted wherever a backend takes `sql`, and other values are not.
 * Checked by tsc through vitest's typecheck mode (`vitest run --project types`).
 */
import type postgres from "postgres";
import { describe, expectTypeOf, it } from "vitest";
import {
  PostgresCancellationBackend,
  type PostgresClient,
  PostgresRateLimiterBackend,
  PostgresResultBackend,
} from "../../src/index.js";

declare const sql: postgres.Sql;
declare const typedSql: postgres.Sql<{ bigint: bigint }>;

describe("PostgresClient", () => {
  it("is satisfied by a postgres.js client", () => {
    expectTypeOf(sql).toExtend<PostgresClient>();
    expectTypeOf(typedSql).toExtend<PostgresClient>();
  });

  it("is what the PostgreSQL backends take as `sql`", () => {
    new PostgresResultBackend({ sql });
    new PostgresRateLimiterBackend({ sql });
    new PostgresCancellationBackend({ sql });
  });

  it("is not any object", () => {
    expectTypeOf({ end: async () => {} }).not.toExtend<PostgresClient>();
    // @ts-expect-error a URL string is not a client
    new PostgresResultBackend({ sql: "postgres://localhost/db" });
  });
});
