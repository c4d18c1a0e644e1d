/**
 * A PostgreSQL result backend on the `postgres` driver (an optional peer
 * dependency, imported on first use only).
 *
 * @module
 */
import type postgres from "postgres";
import { checkTableName, ignoreCreateRace, LazyPostgres } from "../postgres-client.js";
import type { PostgresTarget } from "../postgres-target.js";
import { BaseResultBackend, type Lookup } from "./backend.js";

/** Options of {@link PostgresResultBackend}: a connection URL or a `postgres` client, and a table. */
export interface PostgresResultBackendOptions extends PostgresTarget {
  /** Table of results (`<table>_barriers` holds group barriers); may be schema-qualified. @default "opsq_results" */
  table?: string;
  /** Expired rows are deleted at most this often, on a store. @default 60000 */
  purgeIntervalMs?: number;
}

/**
 * Results in a table `(key text primary key, value jsonb, expires_at timestamptz)`,
 * created on first use. Expired rows are never returned, and deleted by
 * `purgeExpired()` (also run at most once per `purgeIntervalMs` on a store).
 * Group barriers are rows of `<table>_barriers`; a member's arrival is a single
 * `UPDATE … RETURNING` that counts it only if it is not among the members that
 * arrived already, so exactly one member releases the barrier, however often
 * members are redelivered.
 */
export class PostgresResultBackend extends BaseResultBackend {
  readonly table: string;
  readonly #purgeIntervalMs: number;
  readonly #pg: LazyPostgres;
  #lastPurge = 0;

  /** @param options `url` or `sql`, and the table name */
  constructor(options: PostgresResultBackendOptions) {
    super();
    this.table = checkTableName("PostgresResultBackend", options.table ?? "opsq_results");
    this.#pg = new LazyPostgres("PostgresResultBackend", options, (sql) => this.#createTables(sql), {
      max: 4,
    });
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  }

  async store(messageId: string, value: unknown, ttlMs: number): Promise<void> {
    const sql = await this.#connect();
    await sql`
      insert into ${sql(this.table)} (key, value, expires_at)
      values (${messageId}, ${sql.json(toJson(value))}, now() + ${ttlMs} * interval '1 millisecond')
      on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`;
    if (Date.now() - this.#lastPurge >= this.#purgeIntervalMs) {
      this.#lastPurge = Date.now();
      await this.purgeExpired();
    }
  }

  async get(messageId: string): Promise<Lookup> {
    const sql = await this.#connect();
    const rows = await sql<{ value: unknown }[]>`
      select value from ${sql(this.table)} where key = ${messageId} and expires_at > now()`;
    const row = rows[0];
    return row === undefined ? { found: false } : { found: true, value: row.value };
  }

  /** Deletes expired results and barriers; returns how many results were deleted. */
  async purgeExpired(): Promise<number> {
    const sql = await this.#connect();
    const deleted = await sql`delete from ${sql(this.table)} where expires_at <= now()`;
    await sql`delete from ${sql(`${this.table}_barriers`)} where expires_at <= now()`;
    return deleted.count;
  }

  async createBarrier(groupId: string, count: number, ttlMs: number): Promise<void> {
    const sql = await this.#connect();
    await sql`
      insert into ${sql(`${this.table}_barriers`)} (group_id, remaining, expires_at)
      values (${groupId}, ${count}, now() + ${ttlMs} * interval '1 millisecond')
      on conflict (group_id) do update
        set remaining = excluded.remaining, expires_at = excluded.expires_at, arrived = '{}', released_by = null`;
  }

  async arriveAtBarrier(groupId: string, memberId: string): Promise<boolean> {
    const sql = await this.#connect();
    // Every SET expression sees the row as it was before this update (and the row is locked).
    const rows = await sql<{ released_by: string | null }[]>`
      update ${sql(`${this.table}_barriers`)} set
        remaining = case when ${memberId} = any(arrived) then remaining else remaining - 1 end,
        arrived = case when ${memberId} = any(arrived) then arrived else array_append(arrived, ${memberId}) end,
        released_by = case when remaining = 1 and not ${memberId} = any(arrived) then ${memberId} else released_by end
      where group_id = ${groupId} and expires_at > now()
      returning released_by`;
    return rows[0]?.released_by === memberId;
  }

  /** Drops both tables (for tests). */
  dropTables(): Promise<void> {
    return this.#pg.dropTables(this.table, `${this.table}_barriers`);
  }

  async close(): Promise<void> {
    await this.#pg.close();
  }

  #connect(): Promise<postgres.Sql> {
    return this.#pg.connect();
  }

  async #createTables(sql: postgres.Sql): Promise<void> {
    await ignoreCreateRace(
      sql`
        create table if not exists ${sql(this.table)} (
          key text primary key,
          value jsonb,
          expires_at timestamptz not null
        )`,
    );
    await ignoreCreateRace(
      sql`
        create table if not exists ${sql(`${this.table}_barriers`)} (
          group_id text primary key,
          remaining integer not null,
          expires_at timestamptz not null,
          arrived text[] not null default '{}',
          released_by text
        )`,
    );
    // Tables made by opsq 0.1.0 lack the arrival columns.
    await sql`
      alter table ${sql(`${this.table}_barriers`)}
        add column if not exists arrived text[] not null default '{}',
        add column if not exists released_by text`;
  }
}

// postgres.js's json() wants a JSON value; undefined (a handler returning nothing) is stored as null.
function toJson(value: unknown): postgres.JSONValue {
  return (value === undefined ? null : JSON.parse(JSON.stringify(value))) as postgres.JSONValue;
}
