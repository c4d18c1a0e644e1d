import { describe, expect, it } from "vitest";
import { classifyError } from "../../../src/classify-error.js";
import { openTaskStore } from "../../../src/db/open-task-store.js";

describe("openTaskStore", () => {
  it("opens, migrates and serves the embedded database when no URL is given", async () => {
    const opened = await openTaskStore({ migrate: true, schema: "ops_embedded" });
    try {
      expect([opened.database.driver, opened.database.schema]).toEqual(["pglite", "ops_embedded"]);
      const { taskId } = await opened.store.addTask({ taskType: "agent_task", inputData: { goal: "g" } });
      expect((await opened.store.getTask(taskId)).inputData).toEqual({ goal: "g" });
    } finally {
      await opened.close();
    }
  }, 60_000);

  it("fails with a transient error when the server is unreachable", async () => {
    const error = await openTaskStore({
      databaseUrl: "postgres://nobody@127.0.0.1:1/none",
      migrate: true,
    }).catch((caught: unknown) => caught);
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
    expect(classifyError(error)).toBe("transient");
  });
});
