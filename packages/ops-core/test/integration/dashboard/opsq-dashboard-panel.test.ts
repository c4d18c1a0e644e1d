/**
 * `opsq dashboard --database-url … --panel ops-core/dashboard` as a real subprocess against the
 * live services: opsq imports ops-core's panel module by its package name (opsq has no import
 * of ops-core), and the dashboard serves the agent tasks a producer stored, over plain HTTP.
 * Without a database URL, the same command exits 2 with one line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eContext, openE2e, servicesAvailable } from "../../helpers/e2e.js";
import { TEST_DATABASE_URL } from "../../helpers/postgres.js";
import { childEnv, OPSQ_CLI, REPO_ROOT } from "../../helpers/worker-process.js";

const available = await servicesAvailable();

/** `opsq dashboard` with `args`; output and exit as they come. */
function spawnOpsqDashboard(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [OPSQ_CLI, "dashboard", "--port", "0", "--no-management", ...args], {
    cwd: REPO_ROOT,
    env: childEnv({ ...env, OPSQ_LOG_LEVEL: "warn", OPS_LOG_LEVEL: "warn" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, output, exited };
}

/** Resolves with the dashboard's URL once printed; rejects after 15 s or on exit. */
function urlOf(run: ReturnType<typeof spawnOpsqDashboard>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL in 15 s:\n${run.output.stderr}`)), 15_000);
    run.child.stdout.on("data", () => {
      const match = /opsq dashboard on (http:\/\/\S+)/.exec(run.output.stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void run.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`opsq dashboard exited ${code}:\n${run.output.stderr}`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

describe.runIf(available)("opsq dashboard --panel ops-core/dashboard", () => {
  let e2e: E2eContext;
  let env: Record<string, string>;
  let dashboard: ReturnType<typeof spawnOpsqDashboard> | undefined;
  let url: string;

  beforeAll(async () => {
    e2e = await openE2e();
    const producer = await e2e.producer();
    // The database URL comes from the flag only.
    const { DATABASE_URL: _flagged, ...rest } = e2e.env(producer.queue);
    env = rest;
    await producer.submit({
      taskType: "agent_task",
      name: "seen through opsq",
      inputData: { goal: "What is 2 + 2? <script>x</script>" },
    });
    dashboard = spawnOpsqDashboard(
      [
        "--database-url",
        TEST_DATABASE_URL,
        "--cancel-table",
        `${e2e.schema}.opsq_cancellations`,
        "--panel",
        "ops-core/dashboard",
      ],
      env,
    );
    url = await urlOf(dashboard);
  });
  afterAll(async () => {
    if (dashboard) await stop(dashboard.child);
    await e2e?.close();
  });

  it("serves the agent tasks page with the stored task, escaped", async () => {
    const response = await fetch(`${url}panels/tasks/`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("Agent tasks");
    expect(page).toContain("seen through opsq");
    expect(page).not.toContain("<script>x</script>");
    const taskId = /\/panels\/tasks\/task\/([^"?]+)"/.exec(page)?.[1];
    expect(taskId).toBeDefined();
    const task = await fetch(`${url}panels/tasks/task/${taskId}`, { signal: AbortSignal.timeout(10_000) });
    expect(task.status).toBe(200);
    expect(await task.text()).toContain("What is 2 + 2? &lt;script&gt;x&lt;/script&gt;");
  });

  it("stops cleanly on SIGTERM, closing the panel", async () => {
    await stop(dashboard!.child);
    expect(await dashboard!.exited).toBe(0);
    expect(dashboard!.output.stderr).not.toMatch(/error/i);
  });

  it("exits 2 with one line when the panel has no database URL", async () => {
    const run = spawnOpsqDashboard(["--panel", "ops-core/dashboard"], env);
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 15_000);
    const code = await run.exited;
    clearTimeout(timer);
    expect(code).toBe(2);
    expect(run.output.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.output.stderr).toContain("the agent tasks panel needs --database-url (or DATABASE_URL)");
  });
});
