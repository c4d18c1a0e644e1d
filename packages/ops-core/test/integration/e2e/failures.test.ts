/**
 * E2E (ops-core.md §4 scenarios 3–6, 10): timeouts, LLM errors, actor-level retries and
 * dead-lettering, malformed messages — each with its own queue and worker subprocess.
 */
import { Message } from "opsq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentTaskMessage } from "../../../src/agent-task-message.js";
import { type E2eContext, openE2e, servicesAvailable, waitFor, waitForTerminal } from "../../helpers/e2e.js";

const available = await servicesAvailable();

describe.runIf(available)("E2E: failures", () => {
  let e2e: E2eContext;

  beforeAll(async () => {
    e2e = await openE2e();
  });
  afterAll(() => e2e?.close());

  it("times out a slow run, aborts its HTTP request, and goes on with the next task", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue, { concurrency: 1, env: { AGENT_EXECUTION_TIMEOUT: "1" } });
    const slow = await producer.submit("[[delay:30000]] never answered in time");
    const next = await producer.submit("after the slow one");
    const started = Date.now();
    const failed = await waitForTerminal(e2e.store, slow.taskId);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 1,
      errorMessage: "Agent execution timed out after 1 s.",
    });
    await e2e.fake.waitFor((requests) => requests[0]?.aborted === true, 2_000);
    expect(e2e.fake.chatRequests()[0]!.status).toBeUndefined();
    expect(await waitForTerminal(e2e.store, next.taskId)).toMatchObject({ status: "completed", attempts: 1 });
    // A permanent failure is in the actor's `throws`: dead-lettered at once, as Dramatiq does.
    await waitFor(async () => {
      const current = await producer.broker.getQueueCounts(producer.queue);
      return current.deadLettered === 1 ? current : undefined;
    }, "the timed-out task's message in the .XQ");
  });

  it("completes after LLM 500s that the SDK's own retries absorb", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue, { env: { OPS_LLM_MAX_RETRIES: "2" } });
    const task = await producer.submit("[[status:500x2]] flaky upstream");
    expect(await waitForTerminal(e2e.store, task.taskId)).toMatchObject({
      status: "completed",
      attempts: 1,
      result: expect.objectContaining({ answer: "Fake answer to: flaky upstream" }),
    });
    expect(e2e.fake.chatRequests().map((request) => request.status)).toEqual([500, 500, 200]);
  });

  it("fails on a 401 with a clear reason, after one request and no retry; the message is dead-lettered", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue, { env: { OPS_LLM_MAX_RETRIES: "2", OPS_CORE_MAX_RETRIES: "3" } });
    const task = await producer.submit("[[status:401]] wrong key");
    const failed = await waitForTerminal(e2e.store, task.taskId);
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 1,
      errorMessage: `LLM request to ${e2e.fake.baseUrl} (model "e2e-model") failed with HTTP 401: fake error 401`,
    });
    await producer.broker.join(producer.queue, { timeoutMs: 5_000 });
    expect(e2e.fake.chatRequests()).toHaveLength(1);
    const counts = await waitFor(async () => {
      const current = await producer.broker.getQueueCounts(producer.queue);
      return current.deadLettered === 1 ? current : undefined;
    }, "the message in the .XQ");
    expect(counts).toEqual({ ready: 0, delayed: 0, deadLettered: 1 });
  });

  it("retries a transient failure at the actor level, then completes", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue, { env: { OPS_CORE_MAX_RETRIES: "2" } });
    const task = await producer.submit("[[status:503x1]] one bad moment");
    expect(await waitForTerminal(e2e.store, task.taskId)).toMatchObject({ status: "completed", attempts: 2 });
    expect(e2e.fake.chatRequests().map((request) => request.status)).toEqual([503, 200]);
    expect((await producer.broker.getQueueCounts(producer.queue)).deadLettered).toBe(0);
  });

  it("marks the task failed with the last reason and dead-letters the message when retries run out", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue, { env: { OPS_CORE_MAX_RETRIES: "1" } });
    const task = await producer.submit("[[status:503]] down for good");
    const failed = await waitForTerminal(e2e.store, task.taskId);
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 2,
      errorMessage: `LLM request to ${e2e.fake.baseUrl} (model "e2e-model") failed with HTTP 503: fake error 503 (gave up after 2 attempts)`,
    });
    const counts = await waitFor(async () => {
      const current = await producer.broker.getQueueCounts(producer.queue);
      return current.deadLettered === 1 ? current : undefined;
    }, "the message in the .XQ");
    expect(counts).toEqual({ ready: 0, delayed: 0, deadLettered: 1 });
    expect(e2e.fake.chatRequests()).toHaveLength(2);
  });

  it("dead-letters a message without a task id and a message for no task is acked; the worker goes on", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    const worker = await e2e.worker(producer.queue);
    await producer.broker.enqueue(
      new Message({ queueName: producer.queue, actorName: "execute_agent_task", args: [] }),
    );
    await producer.broker.enqueue(agentTaskMessage("task_does_not_exist", producer.queue));
    const task = await producer.submit("still working?");
    expect(await waitForTerminal(e2e.store, task.taskId)).toMatchObject({ status: "completed" });
    await worker.waitForLog((line) => line.msg === "task not found; nothing to run");
    await waitFor(async () => {
      const counts = await producer.broker.getQueueCounts(producer.queue);
      return counts.deadLettered === 1 && counts.ready === 0 ? counts : undefined;
    }, "one dead letter");
    expect(worker.output()).toContain(
      "execute_agent_task needs a task id string as its argument (got undefined)",
    );
  });
});
