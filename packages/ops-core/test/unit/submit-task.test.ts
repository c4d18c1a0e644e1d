import { type Broker, ConnectionFailedError, type Message } from "opsq";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EnqueueError, TaskValidationError } from "../../src/errors.js";
import type { SubmitTaskRequest } from "../../src/submit-request.js";
import { submitTask } from "../../src/submit-task.js";
import type { TaskStore } from "../../src/task-store-interface.js";
import { createEmbeddedStore, type EmbeddedStore } from "../helpers/embedded-store.js";

/** A broker whose `enqueue` is `publish` (what submitTask uses of a broker). */
const brokerOf = (publish: (message: Message) => Promise<void>) =>
  ({
    enqueue: async (message: Message) => {
      await publish(message);
      return message;
    },
  }) as Pick<Broker, "enqueue">;

describe("submitTask", () => {
  let embedded: EmbeddedStore;
  let enqueued: string[];
  const broker = brokerOf(async (message) => {
    enqueued.push(message.args[0] as string);
  });
  /** The embedded store with some methods replaced. */
  const storeWith = (overrides: Partial<TaskStore>): TaskStore =>
    Object.assign(Object.create(embedded.store) as TaskStore, overrides);

  beforeAll(async () => {
    embedded = await createEmbeddedStore();
  }, 60_000);
  afterAll(() => embedded?.close());
  beforeEach(async () => {
    await embedded.reset();
    enqueued = [];
  });

  it("stores a pending task, then publishes its message (task id as message id) on the queue", async () => {
    const order: string[] = [];
    const store = storeWith({
      addTaskWithMessage: async (input, message) => {
        order.push("add");
        return embedded.store.addTaskWithMessage(input, message);
      },
    });
    const sent: Message[] = [];
    const task = await submitTask(
      { taskType: "agent_task", inputData: { goal: "What is 6 * 7?" }, name: "calc" },
      {
        store,
        queue: "unit_tasks",
        broker: brokerOf(async (message) => {
          sent.push(message);
          order.push(`enqueue ${message.args[0]}`);
          // The row and its outbox row are committed before the message exists, so a fast worker
          // always finds the task, and a crash now leaves the message for the relay.
          expect(await embedded.store.findTask(message.args[0] as string)).not.toBeNull();
          expect(await embedded.store.countMessages({ taskId: message.args[0] as string })).toBe(1);
        }),
      },
    );
    expect(order).toEqual(["add", `enqueue ${task.taskId}`]);
    expect(sent[0]).toMatchObject({
      queueName: "unit_tasks",
      actorName: "execute_agent_task",
      args: [task.taskId],
      messageId: task.taskId,
    });
    expect(task).toMatchObject({
      status: "pending",
      taskType: "agent_task",
      name: "calc",
      inputData: { goal: "What is 6 * 7?" },
      attempts: 0,
    });
    const { delivery, deliveryError, created, ...stored } = task;
    expect({ delivery, deliveryError, created }).toEqual({
      delivery: "sent",
      deliveryError: null,
      created: true,
    });
    expect(await embedded.store.getTask(task.taskId)).toEqual(stored);
    // Confirmed: the outbox row is gone.
    expect(await embedded.store.countMessages()).toBe(0);
  });

  it.each([
    [{ taskType: "agent_task", inputData: {} }, "inputData.goal"],
    [{ taskType: "agent_run", inputData: { goal: "g" } }, "taskType"],
    [{ taskType: "agent_task", prompt: "g", inputData: {} }, "prompt"],
    [{ taskType: "agent_task", inputData: { goal: "g", tools: ["rm"] } }, "inputData.tools"],
  ])("rejects %j before writing or enqueueing anything", async (request, field) => {
    const attempt = submitTask(request as SubmitTaskRequest, { store: embedded.store, broker });
    await expect(attempt).rejects.toThrow(TaskValidationError);
    await expect(attempt).rejects.toMatchObject({ field });
    expect(await embedded.store.countTasks()).toBe(0);
    expect(enqueued).toEqual([]);
  });

  it("is idempotent with a caller-chosen taskId: the same request again returns the stored task", async () => {
    const request = { taskType: "agent_task", inputData: { goal: "g", maxSteps: 3 }, taskId: "order-42" };
    const first = await submitTask(request, { store: embedded.store, broker });
    // Same request, keys in another order: still pending, so it is sent again (a running duplicate is acked)
    const again = await submitTask(
      { taskId: "order-42", inputData: { maxSteps: 3, goal: "g" }, taskType: "agent_task" },
      { store: embedded.store, broker },
    );
    expect(again).toEqual({ ...first, created: false });
    expect(first.created).toBe(true);
    expect(first.taskId).toBe("order-42");
    expect(await embedded.store.countTasks()).toBe(1);
    expect(enqueued).toEqual(["order-42", "order-42"]);

    // Once a worker has it, a resubmission returns it and sends nothing
    await embedded.store.claimTask("order-42", "w1");
    const running = await submitTask(request, { store: embedded.store, broker });
    expect(running).toMatchObject({
      taskId: "order-42",
      status: "running",
      delivery: "none",
      created: false,
    });
    expect(await embedded.store.countMessages()).toBe(0);
    expect(enqueued).toHaveLength(2);
  });

  it("refuses a taskId already used by a different request, and a malformed one, writing nothing", async () => {
    await submitTask(
      { taskType: "agent_task", inputData: { goal: "g" }, taskId: "t-1" },
      { store: embedded.store, broker },
    );
    const other = submitTask(
      { taskType: "agent_task", inputData: { goal: "another goal" }, taskId: "t-1" },
      { store: embedded.store, broker },
    );
    await expect(other).rejects.toThrow('taskId: task "t-1" already exists with a different request');
    const malformed = submitTask(
      { taskType: "agent_task", inputData: { goal: "g" }, taskId: "has space" },
      { store: embedded.store, broker },
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
        { store: embedded.store, broker },
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

  it("keeps the task pending with its message in the outbox, and succeeds, when RabbitMQ is unreachable", async () => {
    const task = await submitTask(
      { taskType: "agent_task", inputData: { goal: "g" } },
      {
        store: embedded.store,
        queue: "unit_tasks",
        broker: brokerOf(async () => {
          throw new ConnectionFailedError("cannot connect to amqp://guest:s3cret@mq:5672: ECONNREFUSED");
        }),
      },
    );
    expect(task).toMatchObject({
      status: "pending",
      delivery: "deferred",
      deliveryError: "cannot connect to amqp://guest:***@mq:5672: ECONNREFUSED",
    });
    expect(await embedded.store.getTask(task.taskId)).toMatchObject({ status: "pending", attempts: 0 });
    // The stored message is the one that was to be sent: Dramatiq JSON, task id as message id.
    const sent: string[] = [];
    await embedded.store.relayMessages({ olderThanMs: 0 }, async (entries) => {
      sent.push(...entries.map((entry) => entry.body));
      return [];
    });
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!)).toMatchObject({
      queue_name: "unit_tasks",
      actor_name: "execute_agent_task",
      args: [task.taskId],
      message_id: task.taskId,
    });
  });

  it("marks the task failed and throws a clear error when the message is refused for good", async () => {
    // (any error that is not an opsq BrokerError of an outage counts as a refusal)
    const attempt = submitTask(
      { taskType: "agent_task", inputData: { goal: "g" } },
      {
        store: embedded.store,
        broker: brokerOf(async () => {
          throw new Error("connect ECONNREFUSED amqp://guest:s3cret@mq:5672");
        }),
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
    expect(await embedded.store.countMessages()).toBe(0);
  });

  it("says so when even marking the task failed is impossible", async () => {
    const store = storeWith({
      failTask: async () => {
        throw new Error("database went away");
      },
    });
    const attempt = submitTask(
      { taskType: "agent_task", inputData: { goal: "g" } },
      {
        store,
        broker: brokerOf(async () => {
          throw new Error("broker down");
        }),
      },
    );
    await expect(attempt).rejects.toThrow(
      /was stored but enqueue failed: broker down; and marking it failed failed too: database went away$/,
    );
  });
});
