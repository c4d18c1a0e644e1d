/**
 * E2E: recurring agent tasks. `ops-core schedule add/list/remove` on the live PostgreSQL, and two
 * ops-core workers running a stored schedule every second: one task per tick, also when the
 * leading worker is SIGKILLed in the middle.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedScheduleJobName } from "../../../src/schedules/schedule-runner.js";
import { type E2eContext, openE2e, servicesAvailable, waitFor } from "../../helpers/e2e.js";
import { TEST_RABBITMQ_URL } from "../../helpers/rabbitmq.js";
import { childEnv, OPS_CORE_CLI, REPO_ROOT, type WorkerProcess } from "../../helpers/worker-process.js";

/** Runs the ops-core CLI; resolves with its exit code and output. */
function cli(args: string[], env: Record<string, string>) {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const available = await servicesAvailable();

describe.runIf(available)("E2E: ops-core schedules", () => {
  let e2e: E2eContext;
  const leaderQueues: string[] = [];

  beforeAll(async () => {
    e2e = await openE2e();
  });
  afterAll(async () => {
    const amqp = await import("amqplib");
    const connection = await amqp.connect(TEST_RABBITMQ_URL);
    const channel = await connection.createChannel();
    for (const queue of leaderQueues) {
      await channel.deleteQueue(queue);
      await channel.deleteQueue(`${queue}.last`);
    }
    await connection.close();
    await e2e?.close();
  });

  it("add, list and remove a schedule; a bad expression is one line, exit 2", async () => {
    const { queue } = await e2e.producer();
    const env = e2e.env(queue);
    const added = await cli(
      ["schedule", "add", "hourly goal", "--cron", "0 * * * *", "--name", "hourly"],
      env,
    );
    expect(added).toMatchObject({ code: 0, stderr: "" });
    const id = added.stdout.split(" ")[0]!;
    expect(added.stdout).toMatch(/^sch_[0-9a-f]{12} added: next run \d{4}-\d\d-\d\dT\d\d:00:00\.000Z\n$/);

    const listed = await cli(["schedule", "list", "--json"], env);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        scheduleId: id,
        name: "hourly",
        goal: "hourly goal",
        cron: "0 * * * *",
        timezone: "UTC",
      }),
    ]);

    const bad = await cli(["schedule", "add", "x", "--cron", "61 * * * *"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ops-core: cron: invalid "61 \* \* \* \*" \(UTC\): .+\n$/);

    expect(await cli(["schedule", "remove", "hourly"], env)).toMatchObject({
      code: 0,
      stdout: "hourly removed\n",
    });
    expect(await cli(["schedule", "remove", "hourly"], env)).toMatchObject({ code: 1 });
    expect((await cli(["schedule", "list"], env)).stdout).toBe("no schedules\n");
  });

  it("two workers submit one task per tick, also when the leader is SIGKILLed", async () => {
    const { queue } = await e2e.producer();
    const env = e2e.env(queue);
    const added = await cli(
      ["schedule", "add", "tick goal", "--cron", "* * * * * *", "--name", "every-second"],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    const id = added.stdout.split(" ")[0]!;
    leaderQueues.push(`opsq.schedule.${storedScheduleJobName(id)}`);

    // Given two workers, one of them leading
    const workers = await Promise.all([e2e.worker(queue), e2e.worker(queue)]);
    const startMs = Date.now();
    const elected = (worker: WorkerProcess) =>
      worker.logs.some((line) => line.msg === "schedule leader elected");
    const leader = await waitFor(async () => workers.find(elected), "a leader", 5_000);
    const follower = workers.find((worker) => worker !== leader)!;

    // When the leader is killed after 4 s, and the follower runs 4 s more
    await sleep(4_000);
    await leader.kill();
    await follower.waitForLog((line) => line.msg === "schedule leader elected", 5_000);
    await sleep(4_000);
    const stopMs = Date.now();
    await follower.stop();

    // Then the tasks are one per tick, from the first to the last, one second apart
    const tasks = (await e2e.store.listTasks({ limit: 1000 })).filter((task) =>
      task.taskId.startsWith(`${id}_`),
    );
    const ticks = tasks.map((task) => Date.parse(task.taskId.slice(id.length + 1))).sort((a, b) => a - b);
    expect(ticks.length).toBeGreaterThanOrEqual(Math.round((stopMs - startMs) / 1_000) - 2);
    for (let i = 1; i < ticks.length; i++) {
      expect(ticks[i]! - ticks[i - 1]!).toBe(1_000);
    }
    expect(tasks.every((task) => task.name === "every-second" && task.inputData.goal === "tick goal")).toBe(
      true,
    );
  });
});
