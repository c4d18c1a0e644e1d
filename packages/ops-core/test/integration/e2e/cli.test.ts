/**
 * E2E (ops-core.md §4 scenarios 9, 10, 14): the `ops-core` and `opsq worker` commands as real
 * subprocesses — submit --wait against a worker, status/list, an unreachable broker at submit
 * time, and a misconfigured worker.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eContext, openE2e, servicesAvailable } from "../../helpers/e2e.js";
import { childEnv, OPS_CORE_CLI, OPSQ_CLI, REPO_ROOT } from "../../helpers/worker-process.js";

/** Runs a built CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
function cli(script: string, args: string[], env: Record<string, string>, timeoutMs = 20_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: REPO_ROOT, env: childEnv(env), timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === "number" ? code : null, stdout, stderr });
      },
    );
  });
}

describe("E2E: worker start-up errors (no services needed)", () => {
  it("exits 2 with one line when DATABASE_URL is missing", async () => {
    const { code, stdout, stderr } = await cli(OPSQ_CLI, ["worker", "ops-core/actors"], {});
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /^opsq: cannot import "ops-core\/actors": ConfigError: DATABASE_URL is not set; the ops-core worker \(ops-core\/actors\) needs a real PostgreSQL database/,
    );
    expect(stdout).toBe("");
  });

  it("exits 2 naming a bad variable", async () => {
    const { code, stderr } = await cli(OPSQ_CLI, ["worker", "ops-core/actors"], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      OPS_CORE_MAX_RETRIES: "lots",
    });
    expect(code).toBe(2);
    expect(stderr).toContain('OPS_CORE_MAX_RETRIES must be a whole number from 0 to 100 (got "lots")');
  });

  it("exits 3 without the password when RabbitMQ is unreachable", async () => {
    const { code, stderr } = await cli(OPSQ_CLI, ["worker", "ops-core/actors"], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      RABBITMQ_URL: "amqp://guest:hunter2@127.0.0.1:1",
    });
    expect(code).toBe(3);
    expect(stderr.trim()).toBe(
      "opsq: cannot connect to RabbitMQ at amqp://guest:***@127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1",
    );
  });
});

const available = await servicesAvailable();

describe.runIf(available)("E2E: the ops-core CLI", () => {
  let e2e: E2eContext;

  beforeAll(async () => {
    e2e = await openE2e();
  });
  afterAll(() => e2e?.close());

  it("submit --wait prints each status and the answer; status and list show the task", async () => {
    const { queue } = await e2e.producer();
    await e2e.worker(queue);
    const submitted = await cli(
      OPS_CORE_CLI,
      ["submit", "[[delay:500]] hello from the CLI", "--name", "cli e2e", "--wait"],
      e2e.env(queue),
    );
    expect(submitted.stderr).toBe("");
    expect(submitted.code).toBe(0);
    const lines = submitted.stdout.trim().split("\n");
    const taskId = lines[0]!.split(" ")[0]!;
    expect(lines).toEqual([
      `${taskId} pending`,
      `${taskId} running (attempt 1)`,
      `${taskId} completed`,
      "answer: Fake answer to: hello from the CLI",
    ]);

    const status = await cli(OPS_CORE_CLI, ["status", taskId], e2e.env(queue));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      taskId,
      status: "completed",
      name: "cli e2e",
      attempts: 1,
    });

    const list = await cli(OPS_CORE_CLI, ["list", "--status", "completed", "--json"], e2e.env(queue));
    expect(JSON.parse(list.stdout).tasks.map((task: { taskId: string }) => task.taskId)).toContain(taskId);

    const missing = await cli(OPS_CORE_CLI, ["status", "task_nope"], e2e.env(queue));
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({
      code: 1,
      stderr: 'ops-core: task "task_nope" does not exist\n',
    });
  });

  it("submit --wait exits 1 with the reason when the task fails", async () => {
    const { queue } = await e2e.producer();
    await e2e.worker(queue);
    const { code, stdout, stderr } = await cli(
      OPS_CORE_CLI,
      ["submit", "[[status:401]] no entry", "--wait"],
      e2e.env(queue),
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/ failed\n$/);
    expect(stderr).toMatch(
      /^ops-core: task task_\S+ failed: LLM request to .* failed with HTTP 401: fake error 401\n$/,
    );
  });

  it("stores the task with its message in the outbox and exits 0 when the broker is unreachable at submit time", async () => {
    const before = await e2e.store.countTasks();
    const { code, stdout, stderr } = await cli(
      OPS_CORE_CLI,
      ["submit", "sent when RabbitMQ is back"],
      e2e.env("ops_e2e_unreachable", { RABBITMQ_URL: "amqp://guest:hunter2@127.0.0.1:1" }),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^task_\S+ pending\n$/);
    const taskId = stdout.split(" ")[0]!;
    expect(stderr).toMatch(
      new RegExp(
        `^ops-core: RabbitMQ is unreachable \\(.*ECONNREFUSED.*\\); task ${taskId} is stored and its message will be sent when RabbitMQ is back`,
      ),
    );
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toContain("hunter2");
    expect(await e2e.store.countTasks()).toBe(before + 1);
    expect(await e2e.store.getTask(taskId)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await e2e.store.countMessages({ taskId })).toBe(1);
  });

  it("reap requeues a stale running task on its queue, and fails one whose attempts are spent", async () => {
    const producer = await e2e.producer();
    const orphan = await e2e.store.addTask({ taskType: "agent_task", inputData: { goal: "orphaned" } });
    await e2e.store.claimTask(orphan.taskId, "dead-host:1");
    const spent = await e2e.store.addTask({ taskType: "agent_task", inputData: { goal: "spent" } });
    for (let i = 0; i < 4; i++) await e2e.store.claimTask(spent.taskId, "dead-host:1");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { code, stdout, stderr } = await cli(
      OPS_CORE_CLI,
      ["reap", "--stale-after", "200"],
      e2e.env(producer.queue, { OPS_CORE_MAX_RETRIES: "3" }),
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toContain(
      `${orphan.taskId} stale running task requeued: its worker stopped sending heartbeats`,
    );
    expect(stdout).toContain(`${spent.taskId} stale running task failed: no heartbeat and no attempts left`);
    expect(stdout.trim().split("\n").at(-1)).toMatch(/^reaped: [1-9]\d* requeued, [1-9]\d* failed$/);
    expect(await e2e.store.getTask(orphan.taskId)).toMatchObject({ status: "pending", attempts: 1 });
    expect(await e2e.store.getTask(spent.taskId)).toMatchObject({
      status: "failed",
      errorMessage:
        "no heartbeat from its worker for over 0.2 s (worker died or message lost); gave up after 4 attempts",
    });
    expect((await producer.broker.getQueueCounts(producer.queue)).ready).toBeGreaterThanOrEqual(1);
  });

  it("rejects bad input with exit 2 and writes nothing", async () => {
    const before = await e2e.store.countTasks();
    const { code, stderr } = await cli(
      OPS_CORE_CLI,
      ["submit", "g", "--input", '{"temperature": 0.2}'],
      e2e.env("unused"),
    );
    expect({ code, stderr }).toEqual({ code: 2, stderr: "ops-core: inputData.temperature: unknown field\n" });
    expect(await e2e.store.countTasks()).toBe(before);
  });
});
