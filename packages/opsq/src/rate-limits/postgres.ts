/**
 * A PostgreSQL rate limiter backend on the `postgres` driver (an optional peer
 * dependency, imported on first use only).
 *
 * @module
 */
import type postgres from "postgres";
import { OpsqError } from "../errors.js";
import { ignoreCreateRace, LazyPostgres } from "../postgres-client.js";
import type { PostgresTarget } from "../postgres-target.js";
import type { BarrierWaitOptions, RateLimiterBackend } from "./backend.js";

/** Options of {@link PostgresRateLimiterBackend}: a connection URL or a `postgres` client, and where the tables go. */
export interface PostgresRateLimiterBackendOptions extends PostgresTarget {
  /**
   * Prefix of the three tables `<prefix>_holders`, `<prefix>_hits` and
   * `<prefix>_barriers`; may be schema-qualified (`"ops.rate_limits"`).
   * @default "opsq_rate_limits"
   */
  tablePrefix?: string;
  /** How often a blocked `Barrier.wait()` looks at the barrier again. @default 100 */
  pollIntervalMs?: number;
  /** Lapsed rows are deleted at most this often, before an acquisition or a barrier creation. @default 60000 */
  purgeIntervalMs?: number;
}

// An optional schema, then a table prefix short enough for the longest suffix (63-byte identifiers).
const TABLE_PREFIX = /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,53}$/;

/**
 * Limiter state in three tables, created on first use:
 *
 * - `<prefix>_holders (key text primary key, holders jsonb, expires_at timestamptz)`: the live
 *   holders of each concurrent limiter, `{ token: expiry in epoch ms }`;
 * - `<prefix>_hits (key text primary key, hits jsonb, expires_at timestamptz)`: the hits of each
 *   window limiter per second, `{ epoch second: count }`;
 * - `<prefix>_barriers (key text primary key, remaining integer, expires_at timestamptz)`.
 *
 * Every change is one `INSERT … ON CONFLICT DO UPDATE … WHERE <under the limit>`
 * (or one `UPDATE`): PostgreSQL locks the key's row while it checks and
 * changes it, so concurrent acquirers in any number of processes never exceed
 * a limit. Times come from the database clock (`now()`), so the workers'
 * clocks need not agree. Lapsed holders and hits are dropped by the statement
 * that next touches their key; lapsed rows are deleted by `purgeExpired()`.
 */
export class PostgresRateLimiterBackend implements RateLimiterBackend {
  /** The table prefix (see {@link PostgresRateLimiterBackendOptions.tablePrefix}). */
  readonly tablePrefix: string;
  readonly #holders: string;
  readonly #hits: string;
  readonly #barriers: string;
  readonly #pollIntervalMs: number;
  readonly #purgeIntervalMs: number;
  readonly #pg: LazyPostgres;
  #lastPurge = 0;

  /** @param options `url` or `sql`, the table prefix and the intervals */
  constructor(options: PostgresRateLimiterBackendOptions) {
    const prefix = options.tablePrefix ?? "opsq_rate_limits";
    if (typeof prefix !== "string" || !TABLE_PREFIX.test(prefix)) {
      throw new OpsqError(
        `PostgresRateLimiterBackend: invalid tablePrefix ${JSON.stringify(prefix)}: use letters, digits and "_", at most 54 characters (optionally "schema.prefix")`,
      );
    }
    for (const [name, value] of [
      ["pollIntervalMs", options.pollIntervalMs],
      ["purgeIntervalMs", options.purgeIntervalMs],
    ] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
        throw new RangeError(`PostgresRateLimiterBackend: ${name} must be a whole number ≥ 1, got ${value}`);
      }
    }
    this.tablePrefix = prefix;
    this.#holders = `${prefix}_holders`;
    this.#hits = `${prefix}_hits`;
    this.#barriers = `${prefix}_barriers`;
    this.#pg = new LazyPostgres("PostgresRateLimiterBackend", options, (sql) => this.#createTables(sql), {
      max: 4,
    });
    this.#pollIntervalMs = options.pollIntervalMs ?? 100;
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  }

  async addHolder(key: string, token: string, limit: number, ttlMs: number): Promise<boolean> {
    const sql = await this.#connectAndPurge();
    const nowMs = sql`(extract(epoch from now()) * 1000)::bigint`;
    // The row stays locked from the conflict check to the update, so the count is exact.
    const rows = await sql`
      insert into ${sql(this.#holders)} as t (key, holders, expires_at)
      values (
        ${key},
        jsonb_build_object(${token}::text, ${nowMs} + ${ttlMs}::bigint),
        now() + ${ttlMs}::bigint * interval '1 millisecond'
      )
      on conflict (key) do update set
        holders = (
          select coalesce(jsonb_object_agg(h.token, h.expiry), '{}'::jsonb)
          from jsonb_each(t.holders) as h(token, expiry)
          where h.expiry::bigint > ${nowMs}
        ) || excluded.holders,
        expires_at = greatest(t.expires_at, excluded.expires_at)
      where (
        select count(*) from jsonb_each(t.holders) as h(token, expiry) where h.expiry::bigint > ${nowMs}
      ) < ${limit}::bigint
      returning 1`;
    return rows.length === 1;
  }

  async removeHolder(key: string, token: string): Promise<void> {
    const sql = await this.#connect();
    await sql`
      update ${sql(this.#holders)} set holders = holders - ${token}::text
      where key = ${key} and holders ? ${token}::text`;
  }

  async addHit(key: string, limit: number, windowMs: number): Promise<boolean> {
    const sql = await this.#connectAndPurge();
    const second = sql`floor(extract(epoch from now()))::bigint`;
    const windowS = windowMs / 1000;
    // Buckets of the last windowS seconds count (the current one included); older ones are dropped.
    const rows = await sql`
      insert into ${sql(this.#hits)} as t (key, hits, expires_at)
      values (
        ${key},
        jsonb_build_object(${second}::text, 1),
        to_timestamp(${second} + ${windowS}::bigint)
      )
      on conflict (key) do update set
        hits = (
          select coalesce(jsonb_object_agg(b.second, b.hits), '{}'::jsonb)
          from jsonb_each(t.hits) as b(second, hits)
          where b.second::bigint > ${second} - ${windowS}::bigint
        ) || jsonb_build_object(${second}::text, coalesce((t.hits ->> ${second}::text)::bigint, 0) + 1),
        expires_at = excluded.expires_at
      where (
        select coalesce(sum(b.hits::bigint), 0) from jsonb_each(t.hits) as b(second, hits)
        where b.second::bigint > ${second} - ${windowS}::bigint
      ) < ${limit}::bigint
      returning 1`;
    return rows.length === 1;
  }

  async createBarrier(key: string, parties: number, ttlMs: number): Promise<boolean> {
    const sql = await this.#connectAndPurge();
    const rows = await sql`
      insert into ${sql(this.#barriers)} as b (key, remaining, expires_at)
      values (${key}, ${parties}::integer, now() + ${ttlMs}::bigint * interval '1 millisecond')
      on conflict (key) do update set remaining = excluded.remaining, expires_at = excluded.expires_at
      where b.expires_at <= now()
      returning 1`;
    return rows.length === 1;
  }

  async arriveAtBarrier(key: string, ttlMs: number): Promise<boolean> {
    const sql = await this.#connect();
    const rows = await sql<{ remaining: number }[]>`
      update ${sql(this.#barriers)}
      set remaining = remaining - 1, expires_at = now() + ${ttlMs}::bigint * interval '1 millisecond'
      where key = ${key} and expires_at > now() and remaining > 0
      returning remaining`;
    // No row: the barrier is already cleared, or gone (as in Dramatiq, that clears it too).
    return (rows[0]?.remaining ?? 0) === 0;
  }

  async waitForBarrier(key: string, options: BarrierWaitOptions = {}): Promise<boolean> {
    const { timeoutMs, signal } = options;
    const sql = await this.#connect();
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const rows = await sql<{ remaining: number }[]>`
        select remaining from ${sql(this.#barriers)} where key = ${key} and expires_at > now()`;
      const row = rows[0];
      if (row === undefined || row.remaining === 0) {
        return row !== undefined;
      }
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) {
        return false;
      }
      await pause(Math.min(leftMs, this.#pollIntervalMs), signal);
    }
  }

  /** Deletes lapsed rows of the three tables; returns how many were deleted. */
  async purgeExpired(): Promise<number> {
    const sql = await this.#connect();
    this.#lastPurge = Date.now();
    let deleted = 0;
    for (const table of [this.#holders, this.#hits, this.#barriers]) {
      deleted += (await sql`delete from ${sql(table)} where expires_at <= now()`).count;
    }
    return deleted;
  }

  /** Drops the three tables (for tests). */
  dropTables(): Promise<void> {
    return this.#pg.dropTables(this.#holders, this.#hits, this.#barriers);
  }

  async close(): Promise<void> {
    await this.#pg.close();
  }

  // Purges before (never after) a change, so a failed purge cannot strand a holder it just added.
  async #connectAndPurge(): Promise<postgres.Sql> {
    const sql = await this.#connect();
    if (Date.now() - this.#lastPurge >= this.#purgeIntervalMs) {
      await this.purgeExpired();
    }
    return sql;
  }

  #connect(): Promise<postgres.Sql> {
    return this.#pg.connect();
  }

  async #createTables(sql: postgres.Sql): Promise<void> {
    await ignoreCreateRace(sql`
      create table if not exists ${sql(this.#holders)} (
        key text primary key,
        holders jsonb not null,
        expires_at timestamptz not null
      )`);
    await ignoreCreateRace(sql`
      create table if not exists ${sql(this.#hits)} (
        key text primary key,
        hits jsonb not null,
        expires_at timestamptz not null
      )`);
    await ignoreCreateRace(sql`
      create table if not exists ${sql(this.#barriers)} (
        key text primary key,
        remaining integer not null,
        expires_at timestamptz not null
      )`);
  }
}

// Resolves after `ms`; rejects with the signal's reason if it aborts first.
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
