/**
 * A PostgreSQL cancellation backend on the `postgres` driver (an optional peer dependency,
 * imported on first use only): cancels are rows of a table, announced with NOTIFY.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type postgres from "postgres";
import { checkTableName, ignoreCreateRace, LazyPostgres } from "../postgres-client.js";
import type { PostgresTarget } from "../postgres-target.js";
import {
  type CancellationBackend,
  type CancellationChanges,
  type CancellationListener,
  type CancellationSubscription,
  type CancelledEntry,
  checkMessageIds,
  checkTtl,
} from "./backend.js";

/** Options of {@link PostgresCancellationBackend}: a connection URL or a `postgres` client, and a table. */
export interface PostgresCancellationBackendOptions extends PostgresTarget {
  /** Table of cancels; may be schema-qualified (the schema must exist). @default "opsq_cancellations" */
  table?: string;
  /** How long a cancel is kept. @default 604800000 (7 days) */
  ttlMs?: number;
  /** Expired rows are deleted at most this often, on a cancel. @default 60000 */
  purgeIntervalMs?: number;
}

/** Longest NOTIFY payload sent; PostgreSQL refuses 8000 bytes or more. Longer announcements only say "read". */
const MAX_PAYLOAD_BYTES = 7_900;

/**
 * How far back `changes()` reads before its cursor. A row's `cancelled_at` is its transaction's
 * start, so a cancel committed after a read may carry a time just before it: reading again a
 * minute back catches it (cancel transactions last milliseconds).
 */
const CURSOR_OVERLAP_MS = 60_000;

/** How long `close()` waits for UNLISTEN on a broken connection. */
const UNLISTEN_TIMEOUT_MS = 2_000;

/**
 * Cancels in a table `(message_id text primary key, cancelled_at, expires_at)`, created on
 * first use. `cancel()` inserts the rows and sends `NOTIFY <channel>` in one transaction, so a
 * worker's LISTEN hears of a cancel exactly when its rows are visible; `changes()` reads the
 * rows recorded since a cursor, for workers to catch up on announcements they missed. Expired
 * rows are never returned, and deleted by `purgeExpired()` (run at most once per
 * `purgeIntervalMs` on a cancel).
 */
export class PostgresCancellationBackend implements CancellationBackend {
  readonly table: string;
  readonly ttlMs: number;
  /** The LISTEN/NOTIFY channel: the table name (or a hash of it when longer than 63 bytes). */
  readonly channel: string;
  readonly #purgeIntervalMs: number;
  readonly #pg: LazyPostgres;
  #lastPurge = 0;

  /** @param options `url` or `sql`, the table name and the TTL */
  constructor(options: PostgresCancellationBackendOptions) {
    const table = checkTableName("PostgresCancellationBackend", options.table ?? "opsq_cancellations");
    this.table = table;
    this.ttlMs = checkTtl(options.ttlMs, "PostgresCancellationBackend");
    this.channel =
      table.length <= 63
        ? table
        : `opsq_cancel_${createHash("sha1").update(table).digest("hex").slice(0, 24)}`;
    this.#pg = new LazyPostgres("PostgresCancellationBackend", options, (sql) => this.#createTables(sql), {
      max: 2,
    });
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  }

  async cancel(messageIds: readonly string[]): Promise<void> {
    const ids = checkMessageIds(messageIds);
    if (ids.length === 0) {
      return;
    }
    const sql = await this.#connect();
    await sql.begin(async (tx) => {
      // now() is the transaction's start: the same instant for the rows and the announcement.
      const [row] = await tx<{ now: number }[]>`select (extract(epoch from now()) * 1000)::float8 as now`;
      await tx`
        insert into ${tx(this.table)} (message_id, cancelled_at, expires_at)
        select id, now(), now() + ${this.ttlMs} * interval '1 millisecond' from unnest(${ids}::text[]) as id
        on conflict (message_id) do update
          set cancelled_at = excluded.cancelled_at, expires_at = excluded.expires_at`;
      await tx`select pg_notify(${this.channel}, ${announcement(ids, row!.now + this.ttlMs)})`;
    });
    if (Date.now() - this.#lastPurge >= this.#purgeIntervalMs) {
      this.#lastPurge = Date.now();
      await this.purgeExpired();
    }
  }

  async isCancelled(messageId: string): Promise<boolean> {
    const sql = await this.#connect();
    const rows = await sql`
      select 1 from ${sql(this.table)} where message_id = ${messageId} and expires_at > now()`;
    return rows.length > 0;
  }

  async changes(cursor: number | undefined): Promise<CancellationChanges> {
    const sql = await this.#connect();
    const rows = await sql<{ now: number; message_id: string | null; expires_at: number | null }[]>`
      select
        (extract(epoch from n.now) * 1000)::float8 as now,
        c.message_id,
        (extract(epoch from c.expires_at) * 1000)::float8 as expires_at
      from (select now() as now) n
      left join ${sql(this.table)} c
        on c.expires_at > n.now and c.cancelled_at >= to_timestamp(${cursor ?? 0}::float8 / 1000)`;
    const entries: CancelledEntry[] = [];
    for (const row of rows) {
      if (row.message_id !== null && row.expires_at !== null) {
        entries.push({ messageId: row.message_id, expiresAt: row.expires_at });
      }
    }
    return { entries, cursor: rows[0]!.now - CURSOR_OVERLAP_MS };
  }

  async subscribe(listener: CancellationListener): Promise<CancellationSubscription> {
    const sql = await this.#connect();
    // postgres.js LISTENs on a connection of its own, and LISTENs again (calling onSubscribe) after a reconnect.
    const { unlisten } = await sql.listen(
      this.channel,
      (payload) => listener.onCancel(parseAnnouncement(payload)),
      () => listener.onSubscribe?.(),
    );
    return {
      close: async () => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, UNLISTEN_TIMEOUT_MS);
        });
        await Promise.race([unlisten().catch(() => {}), timeout]);
        clearTimeout(timer);
      },
    };
  }

  /** Deletes expired cancels; returns how many. */
  async purgeExpired(): Promise<number> {
    const sql = await this.#connect();
    const deleted = await sql`delete from ${sql(this.table)} where expires_at <= now()`;
    return deleted.count;
  }

  async connect(): Promise<void> {
    await this.#connect();
  }

  /** Drops the table (for tests). */
  dropTable(): Promise<void> {
    return this.#pg.dropTables(this.table);
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
          message_id text primary key,
          cancelled_at timestamptz not null,
          expires_at timestamptz not null
        )`,
    );
    const index = `${this.table.split(".").at(-1)}_cancelled_at_idx`;
    await ignoreCreateRace(
      sql`create index if not exists ${sql(index)} on ${sql(this.table)} (cancelled_at)`,
    );
  }
}

// `{"e":<expires at, Unix ms>,"ids":[…]}`, or "" (read the table) when that is too long for NOTIFY.
function announcement(ids: readonly string[], expiresAt: number): string {
  const payload = JSON.stringify({ e: expiresAt, ids });
  return Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES ? payload : "";
}

function parseAnnouncement(payload: string): CancelledEntry[] | undefined {
  try {
    const { e, ids } = JSON.parse(payload) as { e?: unknown; ids?: unknown };
    if (typeof e === "number" && Array.isArray(ids) && ids.every((id) => typeof id === "string")) {
      return ids.map((messageId: string) => ({ messageId, expiresAt: e }));
    }
  } catch {
    // not ours, or empty: read the table
  }
  return undefined;
}
