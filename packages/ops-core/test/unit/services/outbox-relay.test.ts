/**
 * The outbox relay on the embedded store and a StubBroker worker: a task whose submitter could
 * not reach RabbitMQ waits `pending` with its message in the outbox, and the relay sends it once
 * it is older than the grace; an unreachable broker leaves the rows, a refused message fails its
 * task; and a message sent twice runs the task once.
 */
import { type Broker, ConnectionFailedError, type Message, MessageRefusedError } from "opsq";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { OutboxRelay } from "../../../src/services/outbox-relay.js";
import { submitTask } from "../../../src/submit-task.js";
import type { Task } from "../../../src/task.js";
import { ActorTestBed } from "../../helpers/actor-harness.js";
import { createRecordingLogger, type RecordingLogger } from "../../helpers/recording-logger.js";

/** A broker whose `enqueue` is `publish`. */
const brokerOf = (publish: (message: Message) => Promise<unknown>) =>
  ({
    enqueue: async (message: Message) => {
      await publish(message);
      return message;
    },
  }) as Pick<Broker, "enqueue">;
const down = brokerOf(async () => {
  throw new ConnectionFailedError("cannot connect to RabbitMQ: ECONNREFUSED");
});

describe("OutboxRelay", () => {
  const bed = ActorTestBed.use({ beforeAll, afterAll, beforeEach, afterEach });
  let logger: RecordingLogger;
  beforeEach(() => {
    logger = createRecordingLogger();
  });

  /** Submits through a broker that is down: the task is stored, its message left in the outbox. */
  const submitWhileDown = async (goal: string, queue: string): Promise<Task> => {
    const task = await submitTask(
      { taskType: "agent_task", inputData: { goal } },
      { store: bed.embedded.store, broker: down, queue },
    );
    expect(task).toMatchObject({ status: "pending", delivery: "deferred" });
    return task;
  };
  const relayOn = (broker: Pick<Broker, "enqueue">, graceMs = 0) =>
    new OutboxRelay({ store: async () => bed.embedded.store, broker, intervalMs: 20, graceMs, logger });

  it("sends a message its submitter could not, once it is older than the grace; a worker then runs the task", async () => {
    const h = await bed.start({ llm: new OfflineLlmClient() });
    const task = await submitWhileDown("What is 6 * 7?", h.queue);
    expect(await bed.embedded.store.countMessages({ taskId: task.taskId })).toBe(1);

    // Too young for a relay with a long grace: left to its submitter.
    expect(await relayOn(h.broker, 60_000).pass()).toEqual({ sent: 0, refused: 0, left: 0 });
    expect(await bed.embedded.store.countMessages()).toBe(1);

    expect(await relayOn(h.broker).pass()).toEqual({ sent: 1, refused: 0, left: 0 });
    expect(await bed.embedded.store.countMessages()).toBe(0);
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("leaves the rows while RabbitMQ is unreachable, says so once, and sends them when it is back", async () => {
    const h = await bed.start({ llm: new OfflineLlmClient() });
    const tasks = [await submitWhileDown("one", h.queue), await submitWhileDown("two", h.queue)];
    const relay = relayOn(down);
    expect(await relay.pass()).toEqual({ sent: 0, refused: 0, left: 2 });
    expect(await relay.pass()).toEqual({ sent: 0, refused: 0, left: 2 });
    expect(logger.lines.map((line) => line.message)).toEqual([
      "outbox: RabbitMQ unreachable; task messages wait in the outbox",
    ]);
    expect(await bed.embedded.store.countMessages()).toBe(2);
    for (const task of tasks) expect((await bed.embedded.store.getTask(task.taskId)).status).toBe("pending");

    expect(await relayOn(h.broker).pass()).toEqual({ sent: 2, refused: 0, left: 0 });
    await h.join();
    for (const task of tasks) {
      expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({
        status: "completed",
        attempts: 1,
      });
    }
  });

  it("fails the task of a message RabbitMQ refuses for good, and drops its row", async () => {
    const task = await submitWhileDown("refused", "unit_refused");
    const refusing = brokerOf(async () => {
      throw new MessageRefusedError("RabbitMQ refused the message (nack)");
    });
    expect(await relayOn(refusing).pass()).toEqual({ sent: 0, refused: 1, left: 0 });
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({
      status: "failed",
      errorMessage: "enqueue failed: RabbitMQ refused the message (nack)",
    });
    expect(await bed.embedded.store.countMessages()).toBe(0);
  });

  it("bounds a publish that never confirms: the row stays for the next pass", async () => {
    const task = await submitWhileDown("hanging", "unit_hanging");
    const hanging = brokerOf(() => new Promise(() => {}));
    const relay = new OutboxRelay({
      store: async () => bed.embedded.store,
      broker: hanging,
      intervalMs: 20,
      graceMs: 0,
      publishTimeoutMs: 50,
      logger,
    });
    expect(await relay.pass()).toEqual({ sent: 0, refused: 0, left: 1 });
    expect(await bed.embedded.store.countMessages({ taskId: task.taskId })).toBe(1);
  });

  it("runs periodically inside a worker (registerAgentTasks): a deferred task completes by itself", async () => {
    const h = await bed.start({
      llm: new OfflineLlmClient(),
      actor: { outboxIntervalMs: 20, outboxGraceMs: 0 },
    });
    const task = await submitWhileDown("What is 2 + 3?", h.queue);
    await vi.waitFor(
      async () => expect((await bed.embedded.store.getTask(task.taskId)).status).toBe("completed"),
      { timeout: 5_000 },
    );
    expect(await bed.embedded.store.countMessages()).toBe(0);
  });

  it("makes a duplicate message harmless: a task whose message was sent twice runs once", async () => {
    const h = await bed.start({ concurrency: 2 });
    const { task } = await h.submit("[[delay:200]] once only");
    // As when the relay re-sends a message whose submitter's confirm was lost.
    await h.send(task.taskId);
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({ status: "completed", attempts: 1 });
    expect(bed.fake.chatRequests()).toHaveLength(1);
    expect(h.worker.stats).toMatchObject({ acked: 2, nacked: 0 });
    // And sent again after it finished: skipped.
    await h.send(task.taskId);
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({ status: "completed", attempts: 1 });
    expect(bed.fake.chatRequests()).toHaveLength(1);
  });
});
