/**
 * Fixed SQL text with `$n` parameters run straight on the driver under a drizzle database:
 * postgres.js (as a named prepared statement, so PostgreSQL parses and plans it once per
 * connection, unless the pool disables them) or PGlite. The store's hot path uses it instead of drizzle's query builder,
 * which cost about 0.1 ms of CPU per statement to build.
 *
 * Rows come back keyed by column name. Values are as the driver parses them under drizzle:
 * jsonb parsed, integers as numbers, and timestamps as `Date` (PGlite) or as PostgreSQL's text
 * (postgres.js, whose timestamp parsers drizzle replaces) — see {@link toIsoTimestamp}.
 * jsonb parameters must be passed as JSON text and cast (`$1::jsonb`), as drizzle does. A failure
 * is thrown as a {@link DatabaseQueryError} (`database query failed: <the driver's reason>`, as
 * drizzle's errors were described), without the statement or its values.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "./client.js";

/**
 * A statement failed: the driver's error is its `cause`, its SQLSTATE or error code its `code`.
 * Its `name` stays `Error`, as drizzle's query errors' did, so the CLI prints the reason alone.
 */
export class DatabaseQueryError extends Error {
  /** The driver's `code` (a SQLSTATE such as `23505`, or `ECONNREFUSED`), when it has one. */
  readonly code: string | undefined;

  /** @param cause the driver's error (drizzle's "Failed query" wrapper is replaced by its cause) */
  constructor(cause: unknown) {
    const driver = isDrizzleQueryError(cause) ? cause.cause : cause;
    super(`database query failed: ${driver instanceof Error ? driver.message : String(driver)}`, {
      cause: driver,
    });
    const code = (driver as { code?: unknown } | null)?.code;
    this.code = typeof code === "string" ? code : undefined;
  }
}

/** drizzle's query error: its message quotes the statement and its values. */
function isDrizzleQueryError(error: unknown): error is Error & { cause: unknown } {
  return error instanceof Error && error.message.startsWith("Failed query:") && error.cause !== undefined;
}

/** Runs `text` with `params` and resolves with the rows. */
export type RawQuery = (text: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

interface PostgresJsClient {
  readonly options?: { prepare?: boolean };
  unsafe(
    text: string,
    params: unknown[],
    options: { prepare: boolean },
  ): PromiseLike<Record<string, unknown>[]>;
}

interface PgliteClient {
  query(text: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * The raw runner of `db`'s driver; for a database without a driver client of its own (a drizzle
 * transaction, say), the same text and parameters through drizzle's `execute`.
 */
export function rawQueryOf(db: Database): RawQuery {
  const client = (db as unknown as { $client?: unknown }).$client;
  if (hasFunction<PostgresJsClient>(client, "unsafe")) {
    // Named prepared statements, unless the pool was opened without them (a `?prepare=false`
    // URL, for a pgbouncer in transaction mode, say).
    const prepare = client.options?.prepare !== false;
    return async (text, params) => {
      try {
        return await client.unsafe(text, params as unknown[], { prepare });
      } catch (error) {
        throw new DatabaseQueryError(error);
      }
    };
  }
  if (hasFunction<PgliteClient>(client, "query")) {
    return async (text, params) => {
      try {
        return (await client.query(text, params as unknown[])).rows;
      } catch (error) {
        throw new DatabaseQueryError(error);
      }
    };
  }
  return async (text, params) => {
    try {
      const result = (await db.execute(withParams(text, params))) as unknown as
        | Record<string, unknown>[]
        | { rows: Record<string, unknown>[] };
      return Array.isArray(result) ? result : result.rows;
    } catch (error) {
      throw new DatabaseQueryError(error);
    }
  };
}

/** `text`'s `$n` placeholders as drizzle parameters. */
function withParams(text: string, params: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  return sql.join(parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${params[Number(part) - 1]}`)));
}

/** PostgreSQL's text of a UTC timestamptz (DateStyle ISO): `2026-11-23 10:00:00.123456+00`. */
const UTC_TIMESTAMP = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamp as either driver returns it → ISO 8601 with milliseconds (`null` stays `null`).
 * UTC text is rewritten without a `Date` (microseconds truncated, as `Date` does); any other
 * offset goes through `Date`.
 */
export function toIsoTimestamp(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  const utc = UTC_TIMESTAMP.exec(text);
  if (utc) return `${utc[1]}T${utc[2]}.${(utc[3] ?? "").padEnd(3, "0").slice(0, 3)}Z`;
  return new Date(text).toISOString();
}

function hasFunction<T>(value: unknown, name: string): value is T {
  // postgres.js's client is itself a function (the tagged template).
  const holder = (typeof value === "object" && value !== null) || typeof value === "function";
  return holder && typeof (value as Record<string, unknown>)[name] === "function";
}
