/**
 * TaskStore against the live PostgreSQL (postgres.js driver), in a private schema created for
 * this file and dropped afterwards. Skips when PostgreSQL is unreachable, unless CI is set.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../../src/db/client.js";
import { migrate } from "../../../src/db/migrate.js";
import { TaskStore } from "../../../src/db/task-store.js";
import { outboxContract } from "../../helpers/outbox-contract.js";
import { requirePostgres, TEST_DATABASE_URL, uniqueSchemaName } from "../../helpers/postgres.js";
import { sqlRows } from "../../helpers/sql-rows.js";
import { taskStoreContract } from "../../helpers/task-store-contract.js";

const available = await requirePostgres();

describe.skipIf(!available)("TaskStore on PostgreSQL", () => {
  const schema = uniqueSchemaName();
  let handle: DatabaseHandle;
  let store: TaskStore;

  beforeAll(async () => {
    handle = await openDatabase(TEST_DATABASE_URL, { schema });
    await migrate(handle);
    store = new TaskStore(handle.db);
  });
  afterAll(async () => {
    if (!handle) return;
    await handle.db.execute(sql.raw(`drop schema if exists "${schema}" cascade`));
    await handle.close();
  });
  beforeEach(async () => {
    await handle.db.execute(sql`delete from task`);
  });

  taskStoreContract(() => ({ store, handle }));
  outboxContract(() => ({ store, handle }), { concurrent: true });

  it("creates the tables and the migration journal inside the test's own schema", async () => {
    const rows = await sqlRows<{ table_schema: string; table_name: string }>(
      handle,
      sql`select table_schema, table_name from information_schema.tables
          where table_schema = ${schema} order by table_name`,
    );
    expect(rows).toEqual([
      { table_schema: schema, table_name: "__drizzle_migrations" },
      { table_schema: schema, table_name: "task" },
      { table_schema: schema, table_name: "task_outbox" },
      { table_schema: schema, table_name: "task_schedule" },
    ]);
  });

  it("lets exactly one of many concurrent completions win across pooled connections", async () => {
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(taskId, "w1");
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.completeTask(taskId, { status: "completed", result: { writer: i } }),
      ),
    );
    expect(outcomes.filter((task) => task !== null)).toHaveLength(1);
  });

  it("counts every concurrent claim of a redelivered task exactly once", async () => {
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimTask(taskId, `w${i}`)));
    expect(claims.map((task) => task?.attempts).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await store.getTask(taskId)).attempts).toBe(8);
  });

  it("reports a lost server as a transient connection error", async () => {
    const { classifyError } = await import("../../../src/classify-error.js");
    const dead = await openDatabase("postgres://postgres@127.0.0.1:1/none", { connectTimeoutMs: 2000 });
    try {
      const error = await new TaskStore(dead.db).findTask("task_x").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(classifyError(error)).toBe("transient");
    } finally {
      await dead.close();
    }
  });
});
