/**
 * A PostgreSQL deduplication backend on the `postgres` driver (an optional peer dependency,
 * imported on first use only): one row per held key.
 *
 * @module
 */
import type postgres from "postgres";
import { checkTableName, ignoreCreateRace, LazyPostgres } from "../postgres-client.js";
import type { PostgresTarget } from "../postgres-target.js";
import type { DedupBackend, DedupHolder } from "./backend.js";

/** Options of {@link PostgresDedupBackend}: a connection URL or a `postgres` client, and a table. */
export interface PostgresDedupBackendOptions extends PostgresTarget {
  /** Table of keys; may be schema-qualified (the schema must exist). @default "opsq_dedup" */
  table?: string;
  /** Expired rows are deleted at most this often, on a claim. @default 60000 */
  purgeIntervalMs?: number;
}

interface Row {
  message_id: string;
  done: boolean;
}

/**
 * Keys in a table `(dedup_key text primary key, message_id, done, expires_at)`, created on first
 * use. A claim is one `insert … on conflict do update … where` statement: of two producers
 * claiming one key at once, exactly one gets it (the row lock serialises them).
 */
export class PostgresDedupBackend implements DedupBackend {
  readonly table: string;
  readonly #pg: LazyPostgres;
  readonly #purgeIntervalMs: number;
  #lastPurge = 0;

  /** @param options `url` or `sql`, and the table name */
  constructor(options: PostgresDedupBackendOptions) {
    this.table = checkTableName("PostgresDedupBackend", options.table ?? "opsq_dedup");
    this.#pg = new LazyPostgres("PostgresDedupBackend", options, (sql) => this.#createTables(sql), {
      max: 2,
    });
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  }

  async claim(key: string, messageId: string, holdMs: number, attempt = 1): Promise<DedupHolder> {
    const sql = await this.#pg.connect();
    // Taken when free, expired, or already this message's (then its expiry only grows).
    const taken = await sql<Row[]>`
      insert into ${sql(this.table)} as d (dedup_key, message_id, done, expires_at)
      values (${key}, ${messageId}, false, now() + ${holdMs} * interval '1 millisecond')
      on conflict (dedup_key) do update
        set message_id = excluded.message_id,
            done = d.done and d.message_id = excluded.message_id and d.expires_at > now(),
            expires_at = case when d.message_id = excluded.message_id and d.expires_at > now()
              then greatest(d.expires_at, excluded.expires_at) else excluded.expires_at end
        where d.message_id = excluded.message_id or d.expires_at <= now()
      returning message_id, done`;
    if (Date.now() - this.#lastPurge >= this.#purgeIntervalMs) {
      this.#lastPurge = Date.now();
      await sql`delete from ${sql(this.table)} where expires_at <= now()`;
    }
    if (taken.length > 0) {
      return { messageId: taken[0]!.message_id, done: taken[0]!.done };
    }
    // Held by another message; it may have been released since: claim again (a bounded number of times).
    const held = await this.holder(key);
    if (held !== undefined) {
      return held;
    }
    if (attempt >= 3) {
      throw new Error(`dedupKey ${JSON.stringify(key)} changed hands ${attempt} times while being claimed`);
    }
    return this.claim(key, messageId, holdMs, attempt + 1);
  }

  async holder(key: string): Promise<DedupHolder | undefined> {
    const sql = await this.#pg.connect();
    const [row] = await sql<Row[]>`
      select message_id, done from ${sql(this.table)} where dedup_key = ${key} and expires_at > now()`;
    return row === undefined ? undefined : { messageId: row.message_id, done: row.done };
  }

  async complete(key: string, messageId: string, ttlMs: number): Promise<void> {
    const sql = await this.#pg.connect();
    await sql`
      update ${sql(this.table)} set done = true, expires_at = now() + ${ttlMs} * interval '1 millisecond'
      where dedup_key = ${key} and message_id = ${messageId}`;
  }

  async release(key: string, messageId: string): Promise<void> {
    const sql = await this.#pg.connect();
    await sql`delete from ${sql(this.table)} where dedup_key = ${key} and message_id = ${messageId}`;
  }

  async connect(): Promise<void> {
    await this.#pg.connect();
  }

  /** Drops the table (for tests). */
  dropTable(): Promise<void> {
    return this.#pg.dropTables(this.table);
  }

  async close(): Promise<void> {
    await this.#pg.close();
  }

  async #createTables(sql: postgres.Sql): Promise<void> {
    await ignoreCreateRace(
      sql`
        create table if not exists ${sql(this.table)} (
          dedup_key text primary key,
          message_id text not null,
          done boolean not null,
          expires_at timestamptz not null
        )`,
    );
  }
}
