/** openTaskStore against the live PostgreSQL: URL + schema + migrate in one call. */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openTaskStore } from "../../../src/db/open-task-store.js";
import { requirePostgres, TEST_DATABASE_URL, uniqueSchemaName } from "../../helpers/postgres.js";
import { sqlRows } from "../../helpers/sql-rows.js";

const available = await requirePostgres();

describe.skipIf(!available)("openTaskStore on PostgreSQL", () => {
  it("opens the URL, migrates into the schema, and serves tasks from it", async () => {
    const schema = uniqueSchemaName();
    const opened = await openTaskStore({ databaseUrl: TEST_DATABASE_URL, schema, migrate: true });
    try {
      expect([opened.database.driver, opened.database.schema]).toEqual(["postgres", schema]);
      const { taskId } = await opened.store.addTask({ taskType: "agent_task", inputData: { goal: "g" } });
      const rows = await sqlRows<{ n: number }>(
        opened.database,
        sql`select count(*)::int as n from ${sql.identifier(schema)}.task where task_id = ${taskId}`,
      );
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await opened.database.db.execute(sql`drop schema if exists ${sql.identifier(schema)} cascade`);
      await opened.close();
    }
  });
});
