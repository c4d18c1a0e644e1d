/**
 * Access to the live PostgreSQL for integration tests: readiness by a real `SELECT 1`, a
 * private schema per test file, and the CI rule — unreachable PostgreSQL skips the tests
 * locally but fails them when `CI` is set.
 */
import { randomBytes } from "node:crypto";
import { redactUrl } from "../../src/redact.js";

/** `DATABASE_URL`, or the local trust-auth server. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

/** Runs `SELECT 1`; returns null when it worked, else why not. */
export async function probePostgres(url: string = TEST_DATABASE_URL): Promise<string | null> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * True when PostgreSQL answers. When it does not: false locally (tests skip, with a warning),
 * but an error under CI, so a missing service fails the build instead of passing silently.
 */
export async function requirePostgres(url: string = TEST_DATABASE_URL): Promise<boolean> {
  const problem = await probePostgres(url);
  if (problem === null) return true;
  const message = `PostgreSQL is unreachable at ${redactUrl(url)}: ${problem}`;
  if (process.env.CI) throw new Error(`${message} (CI is set, so this is a failure, not a skip)`);
  console.warn(`${message}; skipping the PostgreSQL integration tests`);
  return false;
}

/** A fresh schema name such as `ops_test_3fa2c41b09de`. */
export function uniqueSchemaName(): string {
  return `ops_test_${randomBytes(6).toString("hex")}`;
}
