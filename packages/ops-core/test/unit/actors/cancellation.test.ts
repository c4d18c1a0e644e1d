/**
 * Cancelling agent tasks on a StubBroker worker with opsq's Cancellation middleware (memory
 * backend): the message id is the task id, a running task's attempt is aborted (its LLM
 * request too) and the task ends `cancelled`; a cancelled pending task never runs.
 */
import { Cancellation, cancel, MemoryCancellationBackend } from "opsq";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Task } from "../../../src/task.js";
import { CANCELLED_REASON } from "../../../src/task-lifecycle.js";
import { ActorTestBed } from "../../helpers/actor-harness.js";

describe("cancelling execute_agent_task messages", () => {
  const bed = ActorTestBed.use({ beforeAll, afterAll, beforeEach, afterEach });
  let backend: MemoryCancellationBackend;

  const start = (concurrency = 2) => {
    backend = new MemoryCancellationBackend();
    return bed.start({ cancellation: new Cancellation({ backend }), maxRetries: 3, concurrency });
  };

  async function waitForTask(taskId: string, predicate: (task: Task) => boolean): Promise<Task> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const task = await bed.embedded.store.getTask(taskId);
      if (predicate(task)) return task;
      if (Date.now() > deadline) throw new Error(`task ${taskId} is still ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it("sends each task with its task id as the message id", async () => {
    const h = await start();
    const { task, message } = await h.submit("hello");
    expect(message.messageId).toBe(task.taskId);
    await h.join();
  });

  it("aborts a running task's attempt and LLM request; the task ends cancelled, the message acked once", async () => {
    // Given a task whose LLM request hangs
    const h = await start();
    const { task } = await h.submit("[[delay:30000]] never answered");
    await bed.fake.waitFor((requests) => requests.length === 1, 5_000);

    // When its message is cancelled (as `opsq cancel <task id>` does: the task table is not touched)
    await cancel(task.taskId, { backend });

    // Then I expect the task cancelled by the actor, the request aborted, no retry, no dead letter
    const cancelled = await waitForTask(task.taskId, (t) => t.status === "cancelled");
    expect(cancelled).toMatchObject({ errorMessage: CANCELLED_REASON, attempts: 1 });
    await bed.fake.waitFor((requests) => requests[0]!.aborted, 2_000);
    await h.join();
    expect(bed.fake.chatRequests()).toHaveLength(1);
    expect(h.worker.stats).toMatchObject({ acked: 1, nacked: 0 });
    expect(h.broker.deadLetters(h.queue)).toHaveLength(0);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ msg: "task run stopped: its message was cancelled" }),
    );
  });

  it("keeps the reason of a task cancelled in the store first (as `ops-core cancel` does)", async () => {
    const h = await start();
    const { task } = await h.submit("[[delay:30000]] never answered");
    await bed.fake.waitFor((requests) => requests.length === 1, 5_000);

    await bed.embedded.store.cancelTask(task.taskId, "user changed their mind");
    await cancel(task.taskId, { backend });

    await bed.fake.waitFor((requests) => requests[0]!.aborted, 2_000);
    await h.join();
    await waitForTask(task.taskId, () =>
      h.logs.some((line) => line.msg === "task was already cancelled or finished"),
    );
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({
      status: "cancelled",
      errorMessage: "user changed their mind",
    });
  });

  it("never runs a pending task whose message was cancelled, and marks it cancelled", async () => {
    // Given one slot busy with a hanging task, and a second task queued behind it
    const h = await start(1);
    const { task: busy } = await h.submit("[[delay:30000]] keeps the slot");
    await bed.fake.waitFor((requests) => requests.length === 1, 5_000);
    const { task: queued } = await h.submit("should never run");

    // When the queued task's message is cancelled, then the busy one's
    await cancel(queued.taskId, { backend });
    await cancel(busy.taskId, { backend });

    // Then I expect the queued one skipped (no LLM request), both cancelled, both acked
    await h.join();
    expect(await waitForTask(queued.taskId, (t) => t.status === "cancelled")).toMatchObject({
      errorMessage: CANCELLED_REASON,
      attempts: 0,
      startedAt: null,
    });
    await waitForTask(busy.taskId, (t) => t.status === "cancelled");
    expect(bed.fake.chatRequests()).toHaveLength(1);
    expect(h.worker.stats).toMatchObject({ acked: 2, nacked: 0 });
  });

  it("never runs a task already cancelled in the store, even without a message cancel", async () => {
    const h = await start();
    const task = await bed.embedded.store.addTask({
      taskType: "agent_task",
      inputData: { goal: "too late" },
    });
    await bed.embedded.store.cancelTask(task.taskId);

    await h.send(task.taskId);
    await h.join();

    expect(bed.fake.chatRequests()).toHaveLength(0);
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({ status: "cancelled", attempts: 0 });
    expect(h.logs).toContainEqual(expect.objectContaining({ msg: "task already finished; nothing to run" }));
  });
});
