import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EnqueueError, TaskValidationError } from "../../src/errors.js";
import { type SchedulerStore, submitTask } from "../../src/scheduler.js";
import type { SubmitTaskRequest } from "../../src/submit-request.js";
import { createEmbeddedStore, type EmbeddedStore } from "../helpers/embedded-store.js";

describe("submitTask", () => {
  let embedded: EmbeddedStore;
  let enqueued: string[];
  const enqueue = async (taskId: string) => {
    enqueued.push(taskId);
  };

  beforeAll(async () => {
    embedded = await createEmbeddedStore();
  }, 60_000);
  afterAll(() => embedded?.close());
  beforeEach(async () => {
    await embedded.reset();
    enqueued = [];
  });

  it("stores a pending task, then enqueues its id", async () => {
    const order: string[] = [];
    const store: SchedulerStore = {
      addTask: async (input) => {
        order.push("add");
        return embedded.store.addTask(input);
      },
      failTask: (id, reason) => embedded.store.failTask(id, reason),
    };
    const task = await submitTask(
      { taskType: "agent_task", inputData: { goal: "What is 6 * 7?" }, name: "calc" },
      {
        store,
        enqueue: async (taskId) => {
          order.push(`enqueue ${taskId}`);
          // The row is committed before the message exists, so a fast worker always finds it.
          expect(await embedded.store.findTask(taskId)).not.toBeNull();
        },
      },
    );
    expect(order).toEqual(["add", `enqueue ${task.taskId}`]);
    expect(task).toMatchObject({
      status: "pending",
      taskType: "agent_task",
      name: "calc",
      inputData: { goal: "What is 6 * 7?" },
      attempts: 0,
    });
    expect(await embedded.store.getTask(task.taskId)).toEqual(task);
  });

  it.each([
    [{ taskType: "agent_task", inputData: {} }, "inputData.goal"],
    [{ taskType: "agent_run", inputData: { goal: "g" } }, "taskType"],
    [{ taskType: "agent_task", prompt: "g", inputData: {} }, "prompt"],
    [{ taskType: "agent_task", inputData: { goal: "g", tools: ["rm"] } }, "inputData.tools"],
  ])("rejects %j before writing or enqueueing anything", async (request, field) => {
    const attempt = submitTask(request as SubmitTaskRequest, { store: embedded.store, enqueue });
    await expect(attempt).rejects.toThrow(TaskValidationError);
    await expect(attempt).rejects.toMatchObject({ field });
    expect(await embedded.store.countTasks()).toBe(0);
    expect(enqueued).toEqual([]);
  });

  it("is idempotent with a caller-chosen taskId: the same request again returns the stored task", async () => {
    const request = { taskType: "agent_task", inputData: { goal: "g", maxSteps: 3 }, taskId: "order-42" };
    const first = await submitTask(request, { store: embedded.store, enqueue });
    // Same request, keys in another order: still pending, so it is sent again (a running duplicate is acked)
    const again = await submitTask(
      { taskId: "order-42", inputData: { maxSteps: 3, goal: "g" }, taskType: "agent_task" },
      { store: embedded.store, enqueue },
    );
    expect(again).toEqual(first);
    expect(first.taskId).toBe("order-42");
    expect(await embedded.store.countTasks()).toBe(1);
    expect(enqueued).toEqual(["order-42", "order-42"]);

    // Once a worker has it, a resubmission returns it and sends nothing
    await embedded.store.claimTask("order-42", "w1");
    const running = await submitTask(request, { store: embedded.store, enqueue });
    expect(running).toMatchObject({ taskId: "order-42", status: "running" });
    expect(enqueued).toHaveLength(2);
  });

  it("refuses a taskId already used by a different request, and a malformed one, writing nothing", async () => {
    await submitTask(
      { taskType: "agent_task", inputData: { goal: "g" }, taskId: "t-1" },
      { store: embedded.store, enqueue },
    );
    const other = submitTask(
      { taskType: "agent_task", inputData: { goal: "another goal" }, taskId: "t-1" },
      { store: embedded.store, enqueue },
    );
    await expect(other).rejects.toThrow('taskId: task "t-1" already exists with a different request');
    const malformed = submitTask(
      { taskType: "agent_task", inputData: { goal: "g" }, taskId: "has space" },
      { store: embedded.store, enqueue },
    );
    await expect(malformed).rejects.toMatchObject({ field: "taskId" });
    expect(await embedded.store.countTasks()).toBe(1);
    expect(enqueued).toEqual(["t-1"]);
  });

  it.each([
    ["a NUL", "What is\u0000 6 * 7?", "inputData.goal: must not contain a NUL character (\\u0000)"],
    [
      "a lone surrogate",
      "What is \uD83D 6 * 7?",
      "inputData.goal: must not contain a lone UTF-16 surrogate (not valid Unicode)",
    ],
  ])(
    "rejects a goal with %s in one line naming the field, before PostgreSQL sees it",
    async (_, goal, message) => {
      const error = await submitTask(
        { taskType: "agent_task", inputData: { goal } },
        { store: embedded.store, enqueue },
      ).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(TaskValidationError);
      expect((error as Error).message).toBe(message);
      expect(await embedded.store.countTasks()).toBe(0);
      expect(enqueued).toEqual([]);
    },
  );

  it("marks the task failed and throws a clear error when the enqueue fails", async () => {
    const attempt = submitTask(
      { taskType: "agent_task", inputData: { goal: "g" } },
      {
        store: embedded.store,
        enqueue: async () => {
          throw new Error("connect ECONNREFUSED amqp://guest:s3cret@mq:5672");
        },
      },
    );
    await expect(attempt).rejects.toThrow(EnqueueError);
    const error = (await attempt.catch((e: unknown) => e)) as EnqueueError;
    expect(error.message).toBe(
      `task ${error.taskId} was stored but enqueue failed: connect ECONNREFUSED amqp://guest:***@mq:5672; it was marked failed`,
    );
    const [task] = await embedded.store.listTasks();
    expect(task).toMatchObject({
      taskId: error.taskId,
      status: "failed",
      errorMessage: "enqueue failed: connect ECONNREFUSED amqp://guest:***@mq:5672",
    });
    expect(task!.completedAt).not.toBeNull();
  });

  it("says so when even marking the task failed is impossible", async () => {
    const store: SchedulerStore = {
      addTask: (input) => embedded.store.addTask(input),
      failTask: async () => {
        throw new Error("database went away");
      },
    };
    const attempt = submitTask(
      { taskType: "agent_task", inputData: { goal: "g" } },
      {
        store,
        enqueue: async () => {
          throw new Error("broker down");
        },
      },
    );
    await expect(attempt).rejects.toThrow(
      /was stored but enqueue failed: broker down; and marking it failed failed too: database went away$/,
    );
  });
});
