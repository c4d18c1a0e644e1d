/**
 * The Agent tasks panel in headless Chromium against the live services: `ops-core dashboard`
 * and `opsq worker ops-core/actors` as real subprocesses, with the fake LLM. A task submitted
 * from the form reaches `completed` on its page by Server-Sent Events (no reload); a running
 * task is cancelled from its page, its LLM request aborted, and it ends `cancelled`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, requireChromium } from "../../../../opsq/test/integration/dashboard/browser.js";
import { type E2eContext, openE2e, servicesAvailable, waitForTerminal } from "../../helpers/e2e.js";
import { childEnv, OPS_CORE_CLI, REPO_ROOT } from "../../helpers/worker-process.js";

const available = (await servicesAvailable()) && requireChromium();

/** Starts `ops-core dashboard --port 0`; resolves with its URL once it printed it. */
async function startDashboardProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [OPS_CORE_CLI, "dashboard", "--port", "0"], {
    cwd: REPO_ROOT,
    env: childEnv({ ...env, OPS_LOG_LEVEL: "warn", OPSQ_LOG_LEVEL: "warn" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ops-core dashboard not ready in 15 s:\n${output}`)),
      15_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /dashboard on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`ops-core dashboard exited ${code}:\n${output}`));
    });
  });
  return { child, url, output: () => output };
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

describe.runIf(available)("Agent tasks panel in a browser", () => {
  let e2e: E2eContext;
  let dashboard: Awaited<ReturnType<typeof startDashboardProcess>> | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    e2e = await openE2e();
    const producer = await e2e.producer();
    // The delayed task must still be running when it is cancelled: a longer execution timeout.
    const env = e2e.env(producer.queue, { AGENT_EXECUTION_TIMEOUT: "30" });
    [dashboard, browser] = await Promise.all([
      startDashboardProcess(env),
      launchChromium(),
      e2e.worker(producer.queue, { concurrency: 2, env: { AGENT_EXECUTION_TIMEOUT: "30" } }),
    ]);
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    if (dashboard) await stop(dashboard.child);
    await e2e?.close();
  });

  it("submits a task from the form; its page updates live to completed", async () => {
    e2e.fake.reset();
    await page.goto(`${dashboard?.url}panels/tasks/`);
    await page.fill("textarea[name=goal]", "What is 6 * 7? <script>window.pwned = 1</script>");
    await page.fill("input[name=name]", "six times seven");
    await page.click("#submit-task button[type=submit]");
    await page.waitForURL(/\/panels\/tasks\/task\/task_/, { timeout: 10_000 });
    const taskId = decodeURIComponent(page.url().split("/task/")[1] ?? "");
    // The page arrived before the worker finished, or not: either way it ends completed, and
    // while it was live it did so without a reload.
    await page.waitForSelector('#task-summary [data-status="completed"]', { timeout: 20_000 });
    expect(await page.textContent("#task-answer")).toContain("Fake answer to: What is 6 * 7?");
    expect(await page.textContent("#task-input")).toContain("<script>window.pwned = 1</script>");
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.textContent("#task-summary")).toContain("completed");
    expect((await e2e.store.getTask(taskId)).status).toBe("completed");
    // The list shows it too.
    await page.click("text=← Agent tasks");
    expect(await page.textContent("#task-rows")).toContain("six times seven");
  });

  it("shows a task's page updating by Server-Sent Events, then cancels it from there", async () => {
    e2e.fake.reset();
    await page.goto(`${dashboard?.url}panels/tasks/`);
    await page.fill("textarea[name=goal]", "[[delay:5000]] a slow one");
    await page.click("#submit-task button[type=submit]");
    await page.waitForURL(/\/panels\/tasks\/task\/task_/, { timeout: 10_000 });
    const taskId = decodeURIComponent(page.url().split("/task/")[1] ?? "");
    // running arrives as an event (or was already there when the page was rendered).
    await page.waitForSelector('#task-summary [data-status="running"]', { timeout: 10_000 });
    await e2e.fake.waitFor((requests) => requests.length === 1, 5_000);
    await page.click("#cancel");
    await page.waitForSelector('#task-summary [data-status="cancelled"]', { timeout: 10_000 });
    expect(await page.textContent("[role=status]")).toContain("cancelled");
    // The worker was told: its LLM request was aborted, and the task stays cancelled.
    await e2e.fake.waitFor((requests) => requests[0]?.aborted === true, 5_000);
    expect((await waitForTerminal(e2e.store, taskId)).status).toBe("cancelled");
    expect(await page.locator("#cancel").count()).toBe(0);
  });

  it("updates a pending task's page without a reload when a worker completes it", async () => {
    // A page opened while the task is still pending must end completed by events alone.
    e2e.fake.reset();
    await page.goto(`${dashboard?.url}panels/tasks/`);
    await page.fill("textarea[name=goal]", "[[delay:1500]] wait a bit");
    await page.click("#submit-task button[type=submit]");
    await page.waitForURL(/\/panels\/tasks\/task\/task_/, { timeout: 10_000 });
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    expect(await page.locator("[data-events]").count()).toBe(1);
    await page.waitForSelector('#task-summary [data-status="completed"]', { timeout: 15_000 });
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadedAt);
    expect(await page.getAttribute("[data-events]", "data-updated")).not.toBeNull();
  });
});
