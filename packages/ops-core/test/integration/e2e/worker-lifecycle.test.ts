/**
 * E2E (ops-core.md §4 scenarios 7, 8, 12): a worker SIGKILLed mid-task, a graceful SIGTERM
 * during a task, and many tasks on a bounded worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eContext, openE2e, servicesAvailable, waitFor, waitForTerminal } from "../../helpers/e2e.js";

const available = await servicesAvailable();

describe.runIf(available)("E2E: worker lifecycle", () => {
  let e2e: E2eContext;

  beforeAll(async () => {
    e2e = await openE2e();
  });
  afterAll(() => e2e?.close());

  it("finishes a task exactly once after its worker is SIGKILLed mid-task", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    const first = await e2e.worker(producer.queue, { concurrency: 1 });
    e2e.fake.enqueue({ delayMs: 60_000, content: "never sent" });
    const task = await producer.submit("survive a crash");
    await e2e.fake.waitFor((requests) => requests.length === 1, 5_000);
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({ status: "running", attempts: 1 });

    expect(await first.kill()).toEqual({ code: null, signal: "SIGKILL" });
    await e2e.fake.waitFor((requests) => requests[0]!.aborted, 2_000);
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({ status: "running", attempts: 1 });

    const second = await e2e.worker(producer.queue, { concurrency: 1 });
    const done = await waitForTerminal(e2e.store, task.taskId);
    expect(done).toMatchObject({
      status: "completed",
      attempts: 2,
      workerId: expect.stringMatching(new RegExp(`:${second.pid}$`)),
      result: expect.objectContaining({ answer: "Fake answer to: survive a crash" }),
    });
    await producer.broker.join(producer.queue, { timeoutMs: 5_000 });
    expect(await producer.broker.getQueueCounts(producer.queue)).toEqual({
      ready: 0,
      delayed: 0,
      deadLettered: 0,
    });
    expect(await e2e.store.listTasks({ limit: 1000 })).toContainEqual(done);
    expect(e2e.fake.chatRequests().map((request) => request.status)).toEqual([undefined, 200]);
    const claims = second.logs.filter((line) => line.msg === "task claimed" && line.taskId === task.taskId);
    expect(claims).toEqual([expect.objectContaining({ attempts: 2 })]);
  });

  it("reclaims a task left running without a message, and never one whose worker still beats", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    // Given a task left running by a worker that died, whose message is gone (dead-lettered)
    const orphan = await e2e.store.addTask({ taskType: "agent_task", inputData: { goal: "orphaned" } });
    await e2e.store.claimTask(orphan.taskId, "dead-host:1");
    // And a slow task that outlives the stale threshold while its worker beats
    const slow = await producer.submit("[[delay:2500]] slow but alive");

    // When a worker with a short heartbeat and reaper period runs
    const worker = await e2e.worker(producer.queue, {
      concurrency: 2,
      env: {
        OPS_CORE_HEARTBEAT_MS: "200",
        OPS_CORE_STALE_AFTER_MS: "1000",
        OPS_CORE_REAP_INTERVAL_MS: "250",
      },
    });

    // Then the orphan is requeued and completed by this worker, on its second claim
    expect(await waitForTerminal(e2e.store, orphan.taskId)).toMatchObject({
      status: "completed",
      attempts: 2,
      workerId: expect.stringMatching(new RegExp(`:${worker.pid}$`)),
    });
    // And the slow task was never taken from its live worker
    expect(await waitForTerminal(e2e.store, slow.taskId)).toMatchObject({ status: "completed", attempts: 1 });
    expect(
      worker.logs.filter(
        (line) => line.msg === "stale running task requeued: its worker stopped sending heartbeats",
      ),
    ).toEqual([expect.objectContaining({ taskId: orphan.taskId })]);
    // (Its short stale threshold must not judge the next tests' tasks, which beat every 10 s.)
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it("finishes the running task on SIGTERM and exits 0", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    const worker = await e2e.worker(producer.queue, { concurrency: 1 });
    const task = await producer.submit("[[delay:800]] finish me before you go");
    await e2e.fake.waitFor((requests) => requests.length === 1, 5_000);
    const stopping = Date.now();
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({ status: "completed", attempts: 1 });
    expect(await producer.broker.getQueueCounts(producer.queue)).toEqual({
      ready: 0,
      delayed: 0,
      deadLettered: 0,
    });
  });

  it("runs 30 tasks on a worker of concurrency 5: each claimed once, all completed, never more than 5 at once", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue, { concurrency: 5 });
    const tasks = await Promise.all(
      Array.from({ length: 30 }, (_, i) => producer.submit(`[[delay:100]] concurrent task ${i}`)),
    );
    const ids = new Set(tasks.map((task) => task.taskId));
    const finished = await waitFor(
      async () => {
        const rows = (await e2e.store.listTasks({ limit: 1000 })).filter((task) => ids.has(task.taskId));
        return rows.every((task) => task.status === "completed") ? rows : undefined;
      },
      "30 completed tasks",
      20_000,
    );
    expect(finished).toHaveLength(30);
    expect(finished.every((task) => task.attempts === 1)).toBe(true);
    const requests = e2e.fake.chatRequests();
    expect(requests).toHaveLength(30);
    expect(new Set(requests.map((request) => request.messages.at(-1)?.content)).size).toBe(30);
    expect(e2e.fake.maxInFlight).toBeLessThanOrEqual(5);
    expect(e2e.fake.maxInFlight).toBeGreaterThan(1);
  });
});
