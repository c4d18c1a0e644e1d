import { type Broker, ConnectionFailedError, type Message } from "opsq";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { type ReapDeps, reapStaleTasks, StaleTaskReaper } from "../../../src/services/reap-stale-tasks.js";
import { ActorTestBed } from "../../helpers/actor-harness.js";
import { createRecordingLogger } from "../../helpers/recording-logger.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("reapStaleTasks", () => {
  const bed = ActorTestBed.use({ beforeAll, afterAll, beforeEach, afterEach });

  /** A task left `running` by a worker that is gone, with `claims` claims. */
  const orphan = async (claims: number) => {
    const { store } = bed.embedded;
    const { taskId } = await store.addTask({ taskType: "agent_task", inputData: { goal: "What is 6 * 7?" } });
    for (let i = 0; i < claims; i++) await store.claimTask(taskId, "dead-worker");
    return taskId;
  };
  /** A broker whose `enqueue` is `publish`. */
  const brokerOf = (publish: (message: Message) => Promise<unknown>) =>
    ({
      enqueue: async (message: Message) => {
        await publish(message);
        return message;
      },
    }) as Pick<Broker, "enqueue">;
  const deps = (overrides: Partial<ReapDeps>): ReapDeps => ({
    store: bed.embedded.store,
    broker: brokerOf(async () => {}),
    queue: "unit_reaped",
    staleAfterMs: 100,
    maxAttempts: 2,
    logger: createRecordingLogger(),
    ...overrides,
  });

  it("requeues a stale running task with attempts left, and a worker then completes it", async () => {
    // Given a task left running by a dead worker, whose message is gone
    const h = await bed.start({ llm: new OfflineLlmClient() });
    const taskId = await orphan(1);
    await pause(150);

    // When the reaper runs
    const result = await reapStaleTasks(deps({ broker: h.broker, queue: h.queue }));

    // Then it is requeued with a fresh message (its outbox row deleted once sent), and runs to completion
    expect(result).toEqual({ requeued: [taskId], failed: [] });
    expect(await bed.embedded.store.countMessages()).toBe(0);
    await h.join();
    expect(await bed.embedded.store.getTask(taskId)).toMatchObject({ status: "completed", attempts: 2 });
  });

  it("fails a stale task whose attempts are spent, with the reason", async () => {
    const taskId = await orphan(2);
    await pause(150);
    const logger = createRecordingLogger();
    const enqueue = vi.fn(async () => {});
    expect(await reapStaleTasks(deps({ broker: brokerOf(enqueue), logger }))).toEqual({
      requeued: [],
      failed: [taskId],
    });
    expect(enqueue).not.toHaveBeenCalled();
    expect(await bed.embedded.store.getTask(taskId)).toMatchObject({
      status: "failed",
      errorMessage: expect.stringContaining("no heartbeat from its worker"),
    });
    expect(logger.lines[0]?.message).toBe("stale running task failed: no heartbeat and no attempts left");
  });

  it("keeps a requeued task pending with its message in the outbox when RabbitMQ is unreachable", async () => {
    const taskId = await orphan(1);
    await pause(150);
    const logger = createRecordingLogger();
    const broker = brokerOf(async () => {
      throw new ConnectionFailedError("no connection to RabbitMQ at amqp://guest:***@localhost:5672");
    });
    expect(await reapStaleTasks(deps({ broker, logger }))).toEqual({ requeued: [taskId], failed: [] });
    expect(await bed.embedded.store.getTask(taskId)).toMatchObject({ status: "pending", attempts: 1 });
    expect(await bed.embedded.store.countMessages({ taskId })).toBe(1);
    expect(logger.lines[0]?.message).toBe(
      "stale running task requeued; its message waits in the outbox (RabbitMQ unreachable)",
    );
  });

  it("leaves alone a task whose heartbeat is recent", async () => {
    const taskId = await orphan(1);
    await pause(150);
    await bed.embedded.store.heartbeat(taskId, "dead-worker");
    expect(await reapStaleTasks(deps({}))).toEqual({ requeued: [], failed: [] });
    expect((await bed.embedded.store.getTask(taskId)).status).toBe("running");
  });
});

describe("StaleTaskReaper", () => {
  it("runs passes periodically, one at a time, and pauses them after a failed pass", async () => {
    let calls = 0;
    let failing = true;
    const pass = vi.fn(async () => {
      calls++;
      await pause(30);
      if (failing) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      return { requeued: [], failed: [] };
    });
    const logger = createRecordingLogger();
    const reaper = new StaleTaskReaper({ pass, intervalMs: 10, graceAfterFailureMs: 300, logger });
    reaper.start();
    await vi.waitFor(() => expect(calls).toBe(1));
    failing = false;
    // Within the grace after the failure, no pass runs.
    await pause(150);
    expect(calls).toBe(1);
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3), { timeout: 2_000 });
    await reaper.stop();
    const stoppedAt = calls;
    await pause(60);
    expect(calls).toBe(stoppedAt);
    expect(logger.lines).toEqual([
      {
        level: "warn",
        details: { error: "connect ECONNREFUSED 127.0.0.1:5432" },
        message: "stale-task reaper pass failed; will try again",
      },
    ]);
  });
});
