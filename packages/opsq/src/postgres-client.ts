/**
 * What opsq's PostgreSQL backends (results, rate limits, cancellations) share: a
 * `postgres` client that is either given or opened on first use, with the
 * backend's tables created once per opening. `postgres` is an optional peer
 * dependency, imported only here and only when a backend first needs it.
 *
 * @module
 */
import type postgres from "postgres";
import { OpsqError } from "./errors.js";
import type { PostgresTarget } from "./postgres-target.js";

/** Longest wait between reconnection attempts of a pool opened from a URL. */
const MAX_RECONNECT_DELAY_MS = 2_000;

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,50}(\.[A-Za-z_][A-Za-z0-9_]{0,50})?$/;

/**
 * A client opened on first use, set up once (tables created) per opening. A failed
 * opening or set-up is forgotten, so the next call tries again.
 *
 * Left out of the declarations (it names the optional `postgres` package's types).
 *
 * @internal
 */
export class LazyPostgres {
  readonly #owner: string;
  readonly #url: string | undefined;
  readonly #ownsSql: boolean;
  readonly #max: number;
  readonly #setUp: (sql: postgres.Sql) => Promise<void>;
  #sql: postgres.Sql | undefined;
  #ready: Promise<postgres.Sql> | undefined;

  /**
   * @param owner the backend's class name, for errors
   * @param target `url` or `sql`, exactly one
   * @param setUp creates the backend's tables; run on first use and after {@link LazyPostgres.dropTables}
   * @param options `max`: pool size when opened from a URL
   */
  constructor(
    owner: string,
    target: PostgresTarget,
    setUp: (sql: postgres.Sql) => Promise<void>,
    options: { max?: number } = {},
  ) {
    if ((target.url === undefined) === (target.sql === undefined)) {
      throw new OpsqError(`${owner} needs exactly one of \`url\` or \`sql\``);
    }
    this.#owner = owner;
    this.#url = target.url;
    // A PostgresClient is opsq's structural name for a postgres.js client.
    this.#sql = target.sql as postgres.Sql | undefined;
    this.#ownsSql = target.sql === undefined;
    this.#max = options.max ?? 4;
    this.#setUp = setUp;
  }

  /** The client, once its tables exist. */
  connect(): Promise<postgres.Sql> {
    this.#ready ??= this.#open().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** Drops `tables` (for tests); the next {@link connect} creates them again. */
  async dropTables(...tables: string[]): Promise<void> {
    const sql = await this.connect();
    for (const table of tables) {
      await sql`drop table if exists ${sql(table)}`;
    }
    this.#ready = undefined;
  }

  /** Ends the pool if it was opened here; a borrowed client stays open. */
  async close(): Promise<void> {
    const sql = this.#sql;
    this.#ready = undefined;
    if (this.#ownsSql && sql !== undefined) {
      this.#sql = undefined;
      await sql.end({ timeout: 5 });
    }
  }

  async #open(): Promise<postgres.Sql> {
    if (this.#sql === undefined) {
      let driver: typeof postgres;
      try {
        driver = (await import("postgres")).default;
      } catch (error) {
        throw new OpsqError(`${this.#owner} needs the "postgres" package: npm install postgres`, {
          cause: error,
        });
      }
      this.#sql = driver(this.#url as string, {
        max: this.#max,
        onnotice: () => {},
        backoff: cappedBackoff(MAX_RECONNECT_DELAY_MS),
      });
    }
    await this.#setUp(this.#sql);
    return this.#sql;
  }
}

/**
 * Checks a table name (optionally `schema.table`) before it is used as an identifier.
 *
 * @returns the name
 * @throws OpsqError naming the owner and the name
 */
export function checkTableName(owner: string, table: string): string {
  if (typeof table !== "string" || !TABLE_NAME.test(table)) {
    throw new OpsqError(
      `${owner}: invalid table name ${JSON.stringify(table)}: use letters, digits and "_" (optionally "schema.table")`,
    );
  }
  return table;
}

/**
 * Awaits a `create … if not exists`, ignoring the error PostgreSQL raises when
 * another process creates the same object at the same moment.
 */
export async function ignoreCreateRace(creating: PromiseLike<unknown>): Promise<void> {
  try {
    await creating;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // 23505: unique violation on pg_type; 42P07: the relation exists.
    if (code !== "23505" && code !== "42P07") {
      throw error;
    }
  }
}

/**
 * postgres.js's jittered exponential reconnect backoff (in seconds), capped at
 * `maxDelayMs` instead of its 20 s, so a backend resumes soon after a restart.
 */
export function cappedBackoff(maxDelayMs: number): (retries: number) => number {
  const capSeconds = maxDelayMs / 1000;
  return (retries) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, capSeconds);
}
