/**
 * The behaviour every TaskStore backend must show, as a reusable set of tests: the unit suite
 * runs it on embedded PGlite, the integration suite on the live PostgreSQL. Call it inside a
 * `describe` whose hooks give each test an empty `task` table.
 */
import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { DatabaseHandle } from "../../src/db/client.js";
import { task as taskTable } from "../../src/db/schema.js";
import { type TaskStore, TaskStore as TaskStoreClass } from "../../src/db/task-store.js";
import { TaskAlreadyExistsError, TaskNotFoundError } from "../../src/errors.js";

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers the contract tests; `get()` returns the store and handle of the current test. */
export function taskStoreContract(get: () => { store: TaskStore; handle: DatabaseHandle }): void {
  it("adds a pending task with a generated id, ISO-8601 UTC timestamps and default input", async () => {
    const { store } = get();
    const task = await store.addTask({ taskType: "agent_task" });
    expect(task.taskId).toMatch(/^task_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(task).toMatchObject({ status: "pending", name: null, inputData: {}, result: null, attempts: 0 });
    expect(task.createdAt).toMatch(ISO_UTC);
    expect(task.updatedAt).toMatch(ISO_UTC);
    expect([task.startedAt, task.completedAt, task.workerId, task.heartbeatAt]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(await store.getTask(task.taskId)).toEqual(task);
  });

  it("stores input_data and result as JSON objects, not JSON strings", async () => {
    const { store, handle } = get();
    const { taskId } = await store.addTask({
      taskType: "agent_task",
      inputData: { goal: "g", n: [1, { a: true }] },
    });
    await store.claimTask(taskId, "w1");
    await store.completeTask(taskId, { status: "completed", result: { answer: "42" } });
    const rows = await handle.db
      .select({
        input: sql<string>`jsonb_typeof(${taskTable.inputData})`,
        result: sql<string>`jsonb_typeof(${taskTable.result})`,
      })
      .from(taskTable)
      .where(eq(taskTable.taskId, taskId));
    expect(rows).toEqual([{ input: "object", result: "object" }]);
    expect((await store.getTask(taskId)).inputData).toEqual({ goal: "g", n: [1, { a: true }] });
  });

  it("rejects a duplicate id with TaskAlreadyExistsError", async () => {
    const { store } = get();
    await store.addTask({ taskType: "agent_task", taskId: "task_dup" });
    await expect(store.addTask({ taskType: "agent_task", taskId: "task_dup" })).rejects.toThrow(
      new TaskAlreadyExistsError("task_dup"),
    );
  });

  it("throws TaskNotFoundError for an unknown id, and findTask returns null", async () => {
    const { store } = get();
    await expect(store.getTask("task_missing")).rejects.toThrow(TaskNotFoundError);
    await expect(store.getTask("task_missing")).rejects.toThrow('task "task_missing" does not exist');
    expect(await store.findTask("task_missing")).toBeNull();
  });

  it("refuses a status outside the five known ones (CHECK constraint)", async () => {
    const { handle } = get();
    await expect(
      handle.db.execute(sql`insert into task (task_id, task_type, status) values ('task_bad', 'x', 'bogus')`),
    ).rejects.toThrow();
  });

  it("claims pending → running, counts attempts, keeps the first started_at, and moves updated_at", async () => {
    const { store } = get();
    const added = await store.addTask({ taskType: "agent_task" });
    await pause(5);
    const first = await store.claimTask(added.taskId, "worker-a");
    expect(first).toMatchObject({ status: "running", attempts: 1, workerId: "worker-a" });
    expect(first!.startedAt).toMatch(ISO_UTC);
    expect(first!.heartbeatAt).toMatch(ISO_UTC);
    expect(first!.updatedAt > added.updatedAt).toBe(true);
    // Given a redelivery after a crash, When another worker claims the running task, Then it takes over.
    await pause(5);
    const second = await store.claimTask(added.taskId, "worker-b");
    expect(second).toMatchObject({ status: "running", attempts: 2, workerId: "worker-b" });
    expect(second!.startedAt).toBe(first!.startedAt);
  });

  it("claims a running task only when told to take it over", async () => {
    const { store } = get();
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    expect(await store.claimTask(taskId, "w1", { takeOver: false })).toMatchObject({ attempts: 1 });
    expect(await store.claimTask(taskId, "w2", { takeOver: false })).toBeNull();
    expect(await store.getTask(taskId)).toMatchObject({ status: "running", attempts: 1, workerId: "w1" });
    expect(await store.claimTask(taskId, "w2")).toMatchObject({ attempts: 2, workerId: "w2" });
  });

  it("never claims a terminal or missing task", async () => {
    const { store } = get();
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(taskId, "w1");
    const done = await store.completeTask(taskId, { status: "completed", result: "ok" });
    expect(await store.claimTask(taskId, "w2")).toBeNull();
    expect(await store.getTask(taskId)).toEqual(done);
    expect(await store.claimTask("task_missing", "w1")).toBeNull();
  });

  it("completes a running task with result, status and completed_at in one write", async () => {
    const { store } = get();
    const { taskId, createdAt } = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(taskId, "w1");
    const done = await store.completeTask(taskId, { status: "completed", result: { answer: "yes" } });
    expect(done).toMatchObject({ status: "completed", result: { answer: "yes" }, errorMessage: null });
    expect(done!.completedAt! >= done!.startedAt!).toBe(true);
    expect(done!.startedAt! >= createdAt).toBe(true);
  });

  it("records a failure with its reason", async () => {
    const { store } = get();
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(taskId, "w1");
    const failed = await store.completeTask(taskId, {
      status: "failed",
      result: { error: "boom" },
      errorMessage: "boom",
    });
    expect(failed).toMatchObject({ status: "failed", errorMessage: "boom", result: { error: "boom" } });
    expect(failed!.completedAt).toMatch(ISO_UTC);
  });

  it("does nothing when completing a task that is not running", async () => {
    const { store } = get();
    const pending = await store.addTask({ taskType: "agent_task" });
    expect(await store.completeTask(pending.taskId, { status: "completed", result: 1 })).toBeNull();
    expect(await store.getTask(pending.taskId)).toEqual(pending);

    await store.claimTask(pending.taskId, "w1");
    const done = await store.completeTask(pending.taskId, { status: "completed", result: "first" });
    // Given a completed task, When a late duplicate completes it again, Then the first outcome stays.
    expect(await store.completeTask(pending.taskId, { status: "failed", errorMessage: "late" })).toBeNull();
    expect(await store.getTask(pending.taskId)).toEqual(done);
  });

  it("fails a pending or running task, but not a terminal one", async () => {
    const { store } = get();
    const pending = await store.addTask({ taskType: "agent_task" });
    expect(await store.failTask(pending.taskId, "enqueue failed")).toMatchObject({
      status: "failed",
      errorMessage: "enqueue failed",
      result: null,
    });
    const running = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(running.taskId, "w1");
    const failed = await store.failTask(running.taskId, "retries exhausted", { error: "retries exhausted" });
    expect(failed).toMatchObject({ status: "failed", result: { error: "retries exhausted" } });
    expect(await store.failTask(running.taskId, "again")).toBeNull();
    expect((await store.getTask(running.taskId)).errorMessage).toBe("retries exhausted");
  });

  it("cancels a pending or running task; a cancelled task is never reopened", async () => {
    const { store } = get();
    const pending = await store.addTask({ taskType: "agent_task" });
    expect(await store.cancelTask(pending.taskId)).toMatchObject({ status: "cancelled", errorMessage: null });
    expect(await store.claimTask(pending.taskId, "w1")).toBeNull();
    const running = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(running.taskId, "w1");
    const cancelled = await store.cancelTask(running.taskId, "user asked");
    expect(cancelled).toMatchObject({ status: "cancelled", errorMessage: "user asked" });
    expect(await store.completeTask(running.taskId, { status: "completed", result: "late" })).toBeNull();
    expect(await store.failTask(running.taskId, "late")).toBeNull();
    expect(await store.cancelTask(running.taskId)).toBeNull();
    expect(await store.getTask(running.taskId)).toEqual(cancelled);
  });

  it("accepts heartbeats only from the worker running the task", async () => {
    const { store } = get();
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    expect(await store.heartbeat(taskId, "w1")).toBe(false);
    await store.claimTask(taskId, "w1");
    expect(await store.heartbeat(taskId, "w1")).toBe(true);
    expect(await store.heartbeat(taskId, "w2")).toBe(false);
    await store.completeTask(taskId, { status: "completed" });
    expect(await store.heartbeat(taskId, "w1")).toBe(false);
  });

  it("moves heartbeat_at forward on each heartbeat", async () => {
    const { store } = get();
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    const claimed = (await store.claimTask(taskId, "w1"))!;
    await pause(20);
    expect(await store.heartbeat(taskId, "w1")).toBe(true);
    const after = await store.getTask(taskId);
    expect(Date.parse(after.heartbeatAt!)).toBeGreaterThan(Date.parse(claimed.heartbeatAt!));
  });

  it("requeues a stale running task with attempts left, and fails one whose attempts are spent", async () => {
    const { store } = get();
    const fresh = await store.addTask({ taskType: "agent_task" });
    const once = await store.addTask({ taskType: "agent_task" });
    const spent = await store.addTask({ taskType: "agent_task" });
    const pending = await store.addTask({ taskType: "agent_task" });
    const done = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(once.taskId, "w1");
    await store.claimTask(spent.taskId, "w1");
    await store.claimTask(spent.taskId, "w2");
    await store.claimTask(done.taskId, "w1");
    await store.completeTask(done.taskId, { status: "completed" });
    await pause(120);
    await store.claimTask(fresh.taskId, "w3");
    const options = { staleAfterMs: 100, maxAttempts: 2 };

    const requeued = await store.requeueStaleTasks(options);
    expect(requeued.map((t) => t.taskId)).toEqual([once.taskId]);
    expect(requeued[0]).toMatchObject({ status: "pending", attempts: 1, workerId: null, heartbeatAt: null });
    const failed = await store.failStaleTasks(options);
    expect(failed.map((t) => t.taskId)).toEqual([spent.taskId]);
    expect(failed[0]).toMatchObject({
      status: "failed",
      attempts: 2,
      errorMessage:
        "no heartbeat from its worker for over 0.1 s (worker died or message lost); gave up after 2 attempts",
    });
    expect(failed[0]!.completedAt).not.toBeNull();
    expect((await store.getTask(fresh.taskId)).status).toBe("running");
    expect((await store.getTask(pending.taskId)).status).toBe("pending");
    expect((await store.getTask(done.taskId)).status).toBe("completed");
    // A requeued task is claimed again by a fresh message (no take-over needed).
    expect(await store.claimTask(once.taskId, "w4", { takeOver: false })).toMatchObject({ attempts: 2 });
  });

  it("does not reap a running task whose heartbeat is recent", async () => {
    const { store } = get();
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(taskId, "w1");
    await pause(120);
    await store.heartbeat(taskId, "w1");
    const options = { staleAfterMs: 100, maxAttempts: 5 };
    expect(await store.requeueStaleTasks(options)).toEqual([]);
    expect(await store.failStaleTasks({ ...options, maxAttempts: 1 })).toEqual([]);
  });

  it("lets racing reapers move each stale task exactly once", async () => {
    const { store } = get();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { taskId } = await store.addTask({ taskType: "agent_task" });
      await store.claimTask(taskId, "w1");
      ids.push(taskId);
    }
    await pause(120);
    const options = { staleAfterMs: 100, maxAttempts: 2, limit: 5 };
    const passes = await Promise.all(Array.from({ length: 6 }, () => store.requeueStaleTasks(options)));
    const moved = passes.flat().map((t) => t.taskId);
    expect(new Set(moved).size).toBe(moved.length);
    while (moved.length < ids.length) {
      const more = await store.requeueStaleTasks(options);
      if (more.length === 0) break;
      moved.push(...more.map((t) => t.taskId));
    }
    expect([...moved].sort()).toEqual([...ids].sort());
  });

  it("rejects out-of-range reaper options", async () => {
    const { store } = get();
    await expect(store.requeueStaleTasks({ staleAfterMs: 0, maxAttempts: 1 })).rejects.toThrow(RangeError);
    await expect(store.failStaleTasks({ staleAfterMs: 1000, maxAttempts: 0 })).rejects.toThrow(
      "maxAttempts must be an integer of at least 1 (got 0)",
    );
  });

  it("lists newest first, with limit, offset, status filter and count", async () => {
    const { store } = get();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await store.addTask({ taskType: "agent_task", name: `t${i}` })).taskId);
      await pause(3);
    }
    await store.claimTask(ids[1]!, "w1");
    await store.claimTask(ids[3]!, "w1");
    const newestFirst = [...ids].reverse();
    expect((await store.listTasks()).map((t) => t.taskId)).toEqual(newestFirst);
    expect((await store.listTasks({ limit: 2, offset: 1 })).map((t) => t.taskId)).toEqual(
      newestFirst.slice(1, 3),
    );
    expect((await store.listTasks({ status: "running" })).map((t) => t.taskId)).toEqual([ids[3], ids[1]]);
    expect((await store.listTasks({ status: "pending", offset: 1, limit: 1 })).map((t) => t.taskId)).toEqual([
      ids[2],
    ]);
    expect(await store.listTasks({ status: "failed" })).toEqual([]);
    expect(await store.countTasks()).toBe(5);
    expect(await store.countTasks({ status: "pending" })).toBe(3);
  });

  it("rejects an out-of-range page", async () => {
    const { store } = get();
    await expect(store.listTasks({ limit: 0 })).rejects.toThrow(
      "listTasks limit must be an integer from 1 to 1000 (got 0)",
    );
    await expect(store.listTasks({ offset: -1 })).rejects.toThrow(RangeError);
  });

  it("lets exactly one of several racing completions win", async () => {
    const { store } = get();
    const { taskId } = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(taskId, "w1");
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.completeTask(taskId, { status: i % 2 ? "failed" : "completed", result: { writer: i } }),
      ),
    );
    const winners = outcomes.filter((task) => task !== null);
    expect(winners).toHaveLength(1);
    expect(await store.getTask(taskId)).toEqual(winners[0]);
  });

  it("pages tasks newest first by keyset, without skipping rows that share a millisecond", async () => {
    const { store, handle } = get();
    // Microseconds apart within one millisecond, and two with the very same instant (task_id breaks the tie).
    const rows: [string, string][] = [
      ["task_a", "2026-01-01T00:00:00.123100Z"],
      ["task_b", "2026-01-01T00:00:00.123400Z"],
      ["task_c", "2026-01-01T00:00:00.123400Z"],
      ["task_d", "2026-01-01T00:00:00.123900Z"],
      ["task_e", "2026-01-01T00:00:01.000000Z"],
    ];
    for (const [id, at] of rows) {
      await handle.db.execute(
        sql`insert into task (task_id, task_type, created_at) values (${id}, 'agent_task', ${at}::timestamptz)`,
      );
    }
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.pageTasks({ limit: 2, ...(after ? { afterTaskId: after } : {}) });
      seen.push(...page.tasks.map((t) => t.taskId));
      if (page.nextAfterTaskId === null) break;
      expect(page.nextAfterTaskId).toBe(page.tasks[1]!.taskId);
      after = page.nextAfterTaskId;
    }
    expect(seen).toEqual(["task_e", "task_d", "task_c", "task_b", "task_a"]);
    expect(await store.pageTasks({ limit: 5 })).toMatchObject({ nextAfterTaskId: null });
    expect(await store.pageTasks({ afterTaskId: "task_missing" })).toEqual({
      tasks: [],
      nextAfterTaskId: null,
    });
  });

  it("pages with status, task type and created-after/before filters", async () => {
    const { store } = get();
    const first = await store.addTask({ taskType: "agent_task" });
    await pause(5);
    const second = await store.addTask({ taskType: "other_task" });
    await pause(5);
    const third = await store.addTask({ taskType: "agent_task" });
    await store.claimTask(third.taskId, "w1");
    const ids = async (options: Parameters<typeof store.pageTasks>[0]) =>
      (await store.pageTasks(options)).tasks.map((t) => t.taskId);
    expect(await ids({})).toEqual([third.taskId, second.taskId, first.taskId]);
    expect(await ids({ status: "pending" })).toEqual([second.taskId, first.taskId]);
    expect(await ids({ taskType: "agent_task" })).toEqual([third.taskId, first.taskId]);
    expect(await ids({ taskType: "agent_task", status: "running" })).toEqual([third.taskId]);
    expect(await ids({ createdAfter: first.createdAt })).toEqual([third.taskId, second.taskId]);
    expect(await ids({ createdBefore: second.createdAt })).toEqual([first.taskId]);
    expect(await ids({ createdAfter: "2999-01-01" })).toEqual([]);
  });

  it("rejects an out-of-range page size or a date that is not ISO-8601", async () => {
    const { store } = get();
    await expect(store.pageTasks({ limit: 0 })).rejects.toThrow(
      "pageTasks limit must be an integer from 1 to 1000 (got 0)",
    );
    await expect(store.pageTasks({ createdAfter: "yesterday" })).rejects.toThrow(
      'pageTasks createdAfter must be an ISO-8601 date or instant (got "yesterday")',
    );
  });

  it("claims and completes many tasks issued at once each exactly once, each with its own values", async () => {
    const { store } = get();
    const added = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.addTask({ taskType: "agent_task", inputData: { goal: `g${i}` } }),
      ),
    );
    const ids = added.map((task) => task.taskId);
    const claims = await Promise.all(ids.map((id, i) => store.claimTask(id, `w${i}`)));
    expect(claims.map((task) => [task?.taskId, task?.workerId, task?.attempts, task?.inputData])).toEqual(
      ids.map((id, i) => [id, `w${i}`, 1, { goal: `g${i}` }]),
    );
    const done = await Promise.all([
      ...ids.map((id, i) =>
        store.completeTask(id, {
          status: i % 3 ? "completed" : "failed",
          result: i === 1 ? null : { i, text: `it's "${i}" \\ ok` },
          errorMessage: i % 3 ? null : `failed ${i}`,
        }),
      ),
      store.completeTask("task_missing", { status: "completed" }),
    ]);
    expect(done[12]).toBeNull();
    for (const [i, task] of done.slice(0, 12).entries()) {
      expect(task).toMatchObject({
        taskId: ids[i],
        status: i % 3 ? "completed" : "failed",
        result: i === 1 ? null : { i, text: `it's "${i}" \\ ok` },
        errorMessage: i % 3 ? null : `failed ${i}`,
      });
      expect(await store.getTask(ids[i]!)).toEqual(task);
    }
  });

  it("adds many tasks issued at once, refusing only the ids already used", async () => {
    const { store } = get();
    await store.addTask({ taskType: "agent_task", taskId: "task_taken" });
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 5 }, (_, i) =>
        store.addTask({
          taskType: "agent_task",
          taskId: `task_new_${i}`,
          name: `n${i}`,
          inputData: { goal: `g${i}` },
        }),
      ),
      store.addTask({ taskType: "agent_task", taskId: "task_taken" }),
      store.addTask({ taskType: "agent_task", taskId: "task_new_0" }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
    ]);
    for (const outcome of outcomes.slice(5)) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TaskAlreadyExistsError);
    }
    const first = (outcomes[1] as PromiseFulfilledResult<Awaited<ReturnType<TaskStore["addTask"]>>>).value;
    expect(first).toMatchObject({
      taskId: "task_new_1",
      name: "n1",
      inputData: { goal: "g1" },
      status: "pending",
    });
    expect(await store.getTask("task_new_1")).toEqual(first);
  });

  it("works on a drizzle transaction: its writes commit or roll back with it", async () => {
    const { store, handle } = get();
    const rollback = new Error("roll back");
    const inside = await handle.db
      .transaction(async (tx) => {
        const scoped = new TaskStoreClass(tx as unknown as DatabaseHandle["db"]);
        const added = await scoped.addTask({
          taskType: "agent_task",
          taskId: "task_in_tx",
          inputData: { goal: "g" },
        });
        const claimed = await scoped.claimTask(added.taskId, "w1");
        await expect(scoped.addTask({ taskType: "agent_task", taskId: "task_in_tx" })).rejects.toBeInstanceOf(
          TaskAlreadyExistsError,
        );
        expect(claimed).toMatchObject({
          taskId: "task_in_tx",
          status: "running",
          attempts: 1,
          inputData: { goal: "g" },
        });
        throw rollback;
      })
      .catch((error: unknown) => error);
    expect(inside).toBe(rollback);
    expect(await store.findTask("task_in_tx")).toBeNull();
  });
}
