/**
 * Helpers for tests against a live PostgreSQL: the URL, a skip-locally-fail-in-CI
 * availability check, and unique table names.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { redactUrl } from "../../src/logger.js";

/** `DATABASE_URL`, or the local trust-auth server. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

/**
 * True when `SELECT 1` works. When it does not: false locally (tests skip, with a
 * warning), but an error under `CI`, so a missing service fails the build.
 */
export async function requirePostgres(url: string = TEST_DATABASE_URL): Promise<boolean> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch (error) {
    const message = `PostgreSQL is unreachable at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI) {
      throw new Error(`${message} (CI is set, so this is a failure, not a skip)`);
    }
    console.warn(`${message}; skipping the PostgreSQL integration tests`);
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A fresh table name such as `opsq_results_test_3fa2c41b09de`. */
export function uniqueTableName(prefix = "opsq_results_test"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}
