/**
 * E2E: `ops-core cancel <task id>` as a subprocess against `opsq worker ops-core/actors`
 * subprocesses and the fake LLM — a running task stops at once (its HTTP request aborted) and
 * ends `cancelled`; a pending one never runs; a finished or unknown one is refused in one line.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eContext, openE2e, servicesAvailable, waitFor, waitForTerminal } from "../../helpers/e2e.js";
import { childEnv, OPS_CORE_CLI, REPO_ROOT } from "../../helpers/worker-process.js";

/** Runs the built `ops-core` CLI; resolves with its exit code and output. */
function opsCore(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [OPS_CORE_CLI, ...args],
      { cwd: REPO_ROOT, env: childEnv(env), timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === "number" ? code : null, stdout, stderr });
      },
    );
  });
}

const available = await servicesAvailable();

describe.runIf(available)("E2E: ops-core cancel", () => {
  let e2e: E2eContext;

  beforeAll(async () => {
    e2e = await openE2e();
  });
  afterAll(() => e2e?.close());

  it("stops a running task at once: its LLM request is aborted, it ends cancelled, the worker goes on", async () => {
    // Given a worker running a task whose LLM request hangs
    e2e.fake.reset();
    const producer = await e2e.producer();
    const worker = await e2e.worker(producer.queue, { concurrency: 1 });
    const task = await producer.submit("[[delay:30000]] never answered");
    await e2e.fake.waitFor((requests) => requests.length === 1, 5_000);
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({ status: "running" });

    // When it is cancelled with the CLI
    const cancelled = await opsCore(["cancel", task.taskId], e2e.env(producer.queue));

    // Then I expect the task cancelled, the request aborted, the message acked (not retried), and the slot free
    expect(cancelled).toEqual({ code: 0, stdout: `${task.taskId} cancelled\n`, stderr: "" });
    await e2e.fake.waitFor((requests) => requests[0]!.aborted, 5_000);
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({
      status: "cancelled",
      errorMessage: "Cancelled.",
      attempts: 1,
    });
    await worker.waitForLog(
      (line) => line.msg === "message cancelled; aborting the attempt" && line.message_id === task.taskId,
    );
    const next = await producer.submit("after the cancelled one");
    expect(await waitForTerminal(e2e.store, next.taskId)).toMatchObject({ status: "completed" });
    await producer.broker.join(producer.queue, { timeoutMs: 5_000 });
    expect(await producer.broker.getQueueCounts(producer.queue)).toEqual({
      ready: 0,
      delayed: 0,
      deadLettered: 0,
    });
    expect(e2e.fake.chatRequests()).toHaveLength(2);
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({ status: "cancelled", attempts: 1 });
  });

  it("never runs a pending task cancelled before a worker picked it up", async () => {
    // Given a task submitted while no worker runs, then cancelled
    e2e.fake.reset();
    const producer = await e2e.producer();
    const task = await producer.submit("should never run");
    const cancelled = await opsCore(
      ["cancel", task.taskId, "--reason", "not needed"],
      e2e.env(producer.queue),
    );
    expect(cancelled).toMatchObject({ code: 0, stdout: `${task.taskId} cancelled\n` });

    // When a worker starts
    const worker = await e2e.worker(producer.queue);

    // Then I expect its message acked without running, and the task left cancelled
    await worker.waitForLog(
      (line) => line.msg === "message cancelled; acked without running it" && line.message_id === task.taskId,
    );
    await waitFor(async () => {
      const counts = await producer.broker.getQueueCounts(producer.queue);
      return counts.ready === 0 && counts.deadLettered === 0 ? counts : undefined;
    }, "an empty queue");
    expect(e2e.fake.chatRequests()).toHaveLength(0);
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({
      status: "cancelled",
      errorMessage: "not needed",
      attempts: 0,
    });
  });

  it("refuses a finished or unknown task in one line, exit 1", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue);
    const task = await producer.submit("finish first");
    await waitForTerminal(e2e.store, task.taskId);

    const finished = await opsCore(["cancel", task.taskId], e2e.env(producer.queue));
    expect(finished).toEqual({
      code: 1,
      stdout: "",
      stderr: `ops-core: task ${task.taskId} is already completed: only a pending or running task can be cancelled\n`,
    });
    const unknown = await opsCore(["cancel", "task_nope"], e2e.env(producer.queue));
    expect(unknown).toEqual({ code: 1, stdout: "", stderr: 'ops-core: task "task_nope" does not exist\n' });
    expect(await e2e.store.getTask(task.taskId)).toMatchObject({ status: "completed" });
  });
});
