/**
 * E2E: no task failed by a broker blip. A task submitted while RabbitMQ is unreachable (a broker
 * URL to a closed port; the real RabbitMQ is never stopped here) stays `pending` with its message
 * in the outbox; a worker's relay on the real broker then publishes it and the worker completes it.
 */
import { RabbitmqBroker } from "opsq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitTask } from "../../../src/submit-task.js";
import { type E2eContext, openE2e, servicesAvailable, waitFor, waitForTerminal } from "../../helpers/e2e.js";

const available = await servicesAvailable();

describe.runIf(available)("E2E: the outbox", () => {
  let e2e: E2eContext;
  beforeAll(async () => {
    e2e = await openE2e();
  }, 60_000);
  afterAll(() => e2e?.close());

  it("keeps a task submitted while RabbitMQ is unreachable pending, then a worker's relay sends it and it completes once", async () => {
    e2e.fake.reset();
    const { queue } = await e2e.producer();
    const unreachable = new RabbitmqBroker({ url: "amqp://guest:guest@127.0.0.1:1" });
    let taskId: string;
    try {
      const task = await submitTask(
        { taskType: "agent_task", inputData: { goal: "submitted during an outage" } },
        { store: e2e.store, broker: unreachable, queue },
      );
      expect(task).toMatchObject({ status: "pending", delivery: "deferred" });
      expect(task.deliveryError).toMatch(/ECONNREFUSED/);
      taskId = task.taskId;
    } finally {
      await unreachable.close().catch(() => {});
    }
    expect(await e2e.store.getTask(taskId)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await e2e.store.countMessages({ taskId })).toBe(1);

    const worker = await e2e.worker(queue, {
      env: { OPS_CORE_OUTBOX_INTERVAL_MS: "100", OPS_CORE_OUTBOX_GRACE_MS: "0" },
    });
    expect(await waitForTerminal(e2e.store, taskId)).toMatchObject({ status: "completed", attempts: 1 });
    await waitFor(
      async () => ((await e2e.store.countMessages({ taskId })) === 0 ? true : undefined),
      "the outbox row deleted",
    );
    expect(e2e.fake.chatRequests()).toHaveLength(1);
    await worker.waitForLog((line) => line.msg === "outbox: task message sent" && line.taskId === taskId);
  });
});
