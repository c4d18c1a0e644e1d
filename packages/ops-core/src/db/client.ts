/**
 * Opening a database: real PostgreSQL through postgres.js, or an embedded in-process
 * PostgreSQL (PGlite) for tests and demos. Both give the same {@link DatabaseHandle}, whose
 * `db` is drizzle's driver-independent `PgDatabase`, so the store works with either.
 *
 * The drivers are loaded with dynamic `import()` inside the functions: importing this module
 * costs nothing, which keeps worker start-up fast.
 *
 * @module
 */
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { ConfigError } from "../errors.js";
import type { schema } from "./schema.js";

/** The drizzle tables, as passed to `drizzle(client, { schema })`. */
export type DatabaseSchema = typeof schema;

/** A drizzle database on either driver. */
export type Database = PgDatabase<PgQueryResultHKT, DatabaseSchema>;

/** Which driver a handle uses (the migrator differs). */
export type DatabaseDriver = "postgres" | "pglite";

/** An open database plus what is needed to migrate and close it. */
export interface DatabaseHandle {
  /** The drizzle database. */
  readonly db: Database;
  /** `postgres` (postgres.js) or `pglite` (embedded). */
  readonly driver: DatabaseDriver;
  /** The schema on the search_path, when one was requested. */
  readonly schema: string | undefined;
  /** Closes every connection (waits up to 5 s for running queries on PostgreSQL). */
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * PostgreSQL schema to use: set as the connection's `search_path`, so unqualified tables
   * are created and found there. It is created by `migrate()`, not here.
   */
  schema?: string;
  /** Maximum pool size. @default 10 */
  maxConnections?: number;
  /** How long to wait for a connection before failing. @default 10000 */
  connectTimeoutMs?: number;
  /**
   * Longest wait before reconnecting after a lost connection. postgres.js grows its wait
   * to 20 s by default, which stalls every task for that long after a PostgreSQL restart.
   * @default 2000
   */
  maxReconnectDelayMs?: number;
}

/** Options of {@link openEmbeddedDatabase}. */
export interface OpenEmbeddedDatabaseOptions {
  /** PostgreSQL schema to use, as in {@link OpenDatabaseOptions.schema}. */
  schema?: string;
  /** Directory to persist data in; in memory when omitted. */
  dataDir?: string;
}

/**
 * Opens a pool on a real PostgreSQL server (postgres.js). Connections are made lazily, so a
 * wrong host shows up on the first query (as a transient `ECONNREFUSED`).
 *
 * @param url a `postgres://` URL (never logged unredacted)
 * @example const handle = await openDatabase(config.databaseUrl, { schema: "ops" });
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const schemaName = checkSchemaName(options.schema);
  const [{ default: postgres }, { drizzle }, { schema }] = await Promise.all([
    import("postgres"),
    import("drizzle-orm/postgres-js"),
    import("./schema.js"),
  ]);
  const connection: Record<string, string> = { application_name: "ops-core" };
  if (schemaName) connection.search_path = schemaName;
  const sql = postgres(url, {
    max: options.maxConnections ?? 10,
    connect_timeout: Math.ceil((options.connectTimeoutMs ?? 10_000) / 1000),
    onnotice: () => {},
    backoff: reconnectBackoff(options.maxReconnectDelayMs ?? 2_000),
    connection,
  });
  const db: Database = drizzle(sql, { schema });
  return {
    db,
    driver: "postgres",
    schema: schemaName,
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * Starts an embedded PostgreSQL (PGlite, WebAssembly) in this process — in memory unless
 * `dataDir` is given. Takes a few seconds to boot; meant for tests, demos and local runs
 * without a server.
 */
export async function openEmbeddedDatabase(
  options: OpenEmbeddedDatabaseOptions = {},
): Promise<DatabaseHandle> {
  const schemaName = checkSchemaName(options.schema);
  const [{ PGlite }, { drizzle }, { schema }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("./schema.js"),
  ]);
  const client = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir);
  // PGlite is a single session, so a session-level search_path holds for every query.
  if (schemaName) await client.exec(`set search_path to "${schemaName}"`);
  const db: Database = drizzle({ client, schema });
  return {
    db,
    driver: "pglite",
    schema: schemaName,
    close: () => client.close(),
  };
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/i;

/** Validates a schema name, since it is spliced into SQL and connection parameters. */
function checkSchemaName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (!SCHEMA_NAME.test(name)) {
    throw new ConfigError(
      `database schema "${name}" is not a plain identifier (letters, digits, underscores)`,
      "DATABASE_SCHEMA",
    );
  }
  return name;
}

/** postgres.js's jittered exponential backoff (in seconds), capped at `maxDelayMs`. */
export function reconnectBackoff(maxDelayMs: number): (retries: number) => number {
  const capSeconds = maxDelayMs / 1000;
  return (retries) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, capSeconds);
}
