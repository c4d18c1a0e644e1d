import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase, openEmbeddedDatabase } from "../../../src/db/client.js";
import { MIGRATIONS_FOLDER, migrate } from "../../../src/db/migrate.js";
import { TaskStore } from "../../../src/db/task-store.js";
import { ConfigError } from "../../../src/errors.js";
import { sqlRows as query } from "../../helpers/sql-rows.js";

describe("migrate on embedded PGlite with a schema", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openEmbeddedDatabase({ schema: "ops_unit" });
  }, 60_000);
  afterAll(() => handle?.close());

  it("creates the schema and puts the tables and the migration journal in it", async () => {
    await migrate(handle);
    const tables = await query<{ table_schema: string; table_name: string }>(
      handle,
      sql`select table_schema, table_name from information_schema.tables
          where table_name in ('task', 'task_outbox', 'task_schedule', '__drizzle_migrations') order by table_name`,
    );
    expect(tables).toEqual([
      { table_schema: "ops_unit", table_name: "__drizzle_migrations" },
      { table_schema: "ops_unit", table_name: "task" },
      { table_schema: "ops_unit", table_name: "task_outbox" },
      { table_schema: "ops_unit", table_name: "task_schedule" },
    ]);
  });

  it("is idempotent: a second run applies nothing and keeps the data", async () => {
    const store = new TaskStore(handle.db);
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    await migrate(handle);
    const journal = await query<{ n: number }>(
      handle,
      sql`select count(*)::int as n from ops_unit.__drizzle_migrations`,
    );
    expect(journal).toEqual([{ n: 3 }]); // one row per migration file, none added by the second run
    expect((await store.getTask(taskId)).status).toBe("pending");
  });

  it("resolves the committed drizzle/ folder", () => {
    expect(MIGRATIONS_FOLDER).toMatch(/packages\/ops-core\/drizzle$/);
  });
});

describe("schema names", () => {
  it("rejects a schema name that is not a plain identifier, before connecting", async () => {
    await expect(openEmbeddedDatabase({ schema: 'x"; drop table task; --' })).rejects.toThrow(ConfigError);
    await expect(openDatabase("postgres://u@127.0.0.1:1/db", { schema: "a-b" })).rejects.toThrow(
      'database schema "a-b" is not a plain identifier (letters, digits, underscores)',
    );
  });
});
