/**
 * The outbox part of the TaskStore contract (`task_outbox`): the unit suite runs it on embedded
 * PGlite, the integration suite on the live PostgreSQL (there also with two relays racing, which
 * PGlite's single connection cannot do). Call it inside a `describe` whose hooks give each test
 * empty tables.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { DatabaseHandle } from "../../src/db/client.js";
import type { TaskStore } from "../../src/db/task-store.js";
import { TaskAlreadyExistsError } from "../../src/errors.js";
import type { OutboxEntry } from "../../src/task-store-interface.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const message = (taskId: string) => ({ queueName: "q1", body: JSON.stringify({ message_id: taskId }) });

/** Registers the outbox contract tests; `concurrent` adds the test of two relays racing. */
export function outboxContract(
  get: () => { store: TaskStore; handle: DatabaseHandle },
  options: { concurrent: boolean },
): void {
  const addWithMessage = (store: TaskStore, taskId: string) =>
    store.addTaskWithMessage({ taskId, taskType: "agent_task", inputData: { goal: "g" } }, message(taskId));
  /** Every row the relay sees now (nothing deleted). */
  const peek = async (store: TaskStore): Promise<OutboxEntry[]> => {
    let seen: OutboxEntry[] = [];
    await store.relayMessages({ olderThanMs: 0 }, async (entries) => {
      seen = entries;
      return [];
    });
    return seen;
  };

  it("writes a task and its outbox row in one statement", async () => {
    const { store } = get();
    const { task, outboxId } = await addWithMessage(store, "task_o1");
    expect(task).toMatchObject({
      taskId: "task_o1",
      status: "pending",
      inputData: { goal: "g" },
      attempts: 0,
    });
    expect(await store.getTask("task_o1")).toEqual(task);
    expect(await peek(store)).toEqual([
      { id: outboxId, taskId: "task_o1", ...message("task_o1"), createdAt: expect.any(String) },
    ]);
  });

  it("writes neither when the task id is taken", async () => {
    const { store } = get();
    await addWithMessage(store, "task_o1");
    await expect(addWithMessage(store, "task_o1")).rejects.toThrow(new TaskAlreadyExistsError("task_o1"));
    expect(await store.countTasks()).toBe(1);
    expect(await store.countMessages()).toBe(1);
  });

  it("writes tasks submitted at once each with its own outbox row, and a taken id fails only its own call", async () => {
    const { store } = get();
    await addWithMessage(store, "task_taken");
    const ids = Array.from({ length: 10 }, (_, i) => `task_m${i}`);
    const results = await Promise.allSettled([...ids, "task_taken"].map((id) => addWithMessage(store, id)));
    const added = results
      .slice(0, 10)
      .map((result) => (result.status === "fulfilled" ? result.value : result));
    expect(added.map((result) => ("task" in result ? result.task.taskId : "failed"))).toEqual(ids);
    expect(results[10]).toMatchObject({
      status: "rejected",
      reason: new TaskAlreadyExistsError("task_taken"),
    });
    const rows = await peek(store);
    for (const result of added) {
      if (!("task" in result)) continue;
      expect(rows.find((row) => row.id === result.outboxId)).toMatchObject({
        taskId: result.task.taskId,
        ...message(result.task.taskId),
      });
    }
    expect(await store.countTasks()).toBe(11);
    expect(await store.countMessages()).toBe(11);
  });

  it("adds a message only for a task still pending", async () => {
    const { store } = get();
    const pending = await store.addTask({ taskType: "agent_task", taskId: "task_p" });
    const running = await store.addTask({ taskType: "agent_task", taskId: "task_r" });
    await store.claimTask(running.taskId, "w1");
    expect(await store.addMessage(pending.taskId, message(pending.taskId))).toEqual(expect.any(Number));
    expect(await store.addMessage(running.taskId, message(running.taskId))).toBeNull();
    expect(await store.addMessage("task_missing", message("task_missing"))).toBeNull();
    expect(await store.countMessages({ taskId: pending.taskId })).toBe(1);
    expect(await store.countMessages()).toBe(1);
  });

  it("deletes only the rows it is given", async () => {
    const { store } = get();
    const a = await addWithMessage(store, "task_a");
    await addWithMessage(store, "task_b");
    expect(await store.deleteMessages([])).toBe(0);
    expect(await store.deleteMessages([a.outboxId, a.outboxId + 1_000_000])).toBe(1);
    expect((await peek(store)).map((entry) => entry.taskId)).toEqual(["task_b"]);
  });

  it("relays rows older than the grace, oldest first, and deletes only what publish returns", async () => {
    const { store } = get();
    const a = await addWithMessage(store, "task_a");
    const b = await addWithMessage(store, "task_b");
    expect(await store.relayMessages({ olderThanMs: 60_000 }, async () => [a.outboxId])).toEqual({
      locked: 0,
      deleted: 0,
    });
    await pause(20);
    const batches: string[][] = [];
    expect(
      await store.relayMessages({ olderThanMs: 10, limit: 5 }, async (entries) => {
        batches.push(entries.map((entry) => entry.taskId));
        return [b.outboxId];
      }),
    ).toEqual({ locked: 2, deleted: 1 });
    expect(batches).toEqual([["task_a", "task_b"]]);
    expect((await peek(store)).map((entry) => entry.taskId)).toEqual(["task_a"]);
  });

  it("deletes nothing when publish throws", async () => {
    const { store } = get();
    const a = await addWithMessage(store, "task_a");
    await expect(
      store.relayMessages({ olderThanMs: 0 }, async () => {
        throw new Error("publish blew up");
      }),
    ).rejects.toThrow("publish blew up");
    expect((await peek(store)).map((entry) => entry.id)).toEqual([a.outboxId]);
  });

  it("drops a task's outbox rows with the task", async () => {
    const { store, handle } = get();
    await addWithMessage(store, "task_a");
    await handle.db.execute(sql`delete from task where task_id = 'task_a'`);
    expect(await store.countMessages()).toBe(0);
  });

  it("requeues a stale task and writes its outbox row in one transaction", async () => {
    const { store } = get();
    const stale = await store.addTask({ taskType: "agent_task", taskId: "task_stale" });
    await store.claimTask(stale.taskId, "dead-worker");
    await pause(60);
    const requeued = await store.requeueStaleTasksWithMessages({ staleAfterMs: 30, maxAttempts: 3 }, message);
    expect(requeued).toEqual([
      {
        task: expect.objectContaining({ taskId: "task_stale", status: "pending" }),
        outboxId: expect.any(Number),
      },
    ]);
    expect(await peek(store)).toEqual([
      {
        id: requeued[0]!.outboxId,
        taskId: "task_stale",
        ...message("task_stale"),
        createdAt: expect.any(String),
      },
    ]);
    expect(await store.requeueStaleTasksWithMessages({ staleAfterMs: 30, maxAttempts: 3 }, message)).toEqual(
      [],
    );
  });

  if (options.concurrent) {
    it("never hands a row to two relays at once (FOR UPDATE SKIP LOCKED)", async () => {
      const { store } = get();
      for (let i = 0; i < 4; i++) await addWithMessage(store, `task_${i}`);
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const first: string[] = [];
      // The first relay locks two rows and holds them while it "publishes".
      const relaying = store.relayMessages({ olderThanMs: 0, limit: 2 }, async (entries) => {
        first.push(...entries.map((entry) => entry.taskId));
        await held;
        return entries.map((entry) => entry.id);
      });
      await vitestWaitFor(() => first.length === 2);
      // A second relay meanwhile gets only the other two.
      const second: string[] = [];
      await store.relayMessages({ olderThanMs: 0 }, async (entries) => {
        second.push(...entries.map((entry) => entry.taskId));
        return entries.map((entry) => entry.id);
      });
      release();
      expect(await relaying).toEqual({ locked: 2, deleted: 2 });
      expect(first).toEqual(["task_0", "task_1"]);
      expect(second).toEqual(["task_2", "task_3"]);
      expect(await store.countMessages()).toBe(0);
    });
  }
}

async function vitestWaitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await pause(5);
  }
}
