#!/usr/bin/env node
// Screenshots of ops-core's Agent tasks panel into docs/ (docs/dashboard-tasks.png, the list,
// and docs/dashboard-task.png, a task's page with its agent history), from a real run: a fresh
// schema on PostgreSQL, `opsq worker ops-core/actors` with ops-core's offline model (no LLM
// needed), `ops-core dashboard`'s panel, and tasks submitted from the panel's form.
// Called by scripts/dashboard-screenshots.mjs; runs alone too (needs `npx tsc -b` and chromium):
//   node scripts/dashboard-task-screenshots.mjs   (DATABASE_URL, RABBITMQ_URL, CHROMIUM_PATH optional)
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, loadConfig, openTaskStore } from "ops-core";
import { openTasksPanel } from "ops-core/dashboard";
import { startDashboard } from "opsq/dashboard";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("../", import.meta.url));
const docs = join(root, "docs");

/** Writes the two screenshots; every wait is bounded. */
export async function taskScreenshots() {
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const rabbitmqUrl = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
  const schema = `opsq_screenshots_${process.pid}`;
  const queue = `opsq-screenshots-tasks-${process.pid}`;
  const env = {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    RABBITMQ_URL: rabbitmqUrl,
    OPS_CORE_QUEUE: queue,
    OPS_LOG_LEVEL: "warn",
    OPSQ_LOG_LEVEL: "warn",
  };
  const opened = await openTaskStore({ databaseUrl, schema, migrate: true });
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(DATABASE_|RABBITMQ_URL$|OPS_|OPSQ_)/.test(key)),
  );
  const worker = spawn(
    process.execPath,
    [join(root, "packages/opsq/dist/cli/main.js"), "worker", "ops-core/actors"],
    { cwd: root, env: { ...clean, ...env }, stdio: "ignore" },
  );
  const panel = await openTasksPanel({ config: loadConfig(env), logger: createLogger({ level: "warn" }) });
  const dashboard = await startDashboard({
    port: 0,
    brokerUrl: rabbitmqUrl,
    queues: [queue],
    panels: [panel],
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
    const submit = async (goal, name) => {
      await page.goto(`${dashboard.url}panels/tasks/`);
      await page.fill("textarea[name=goal]", goal);
      await page.fill("input[name=name]", name);
      await page.click("#submit-task button[type=submit]");
      await page.waitForURL(/\/task\//, { timeout: 10_000 });
      await page.waitForSelector(
        '#task-summary [data-status="completed"], #task-summary [data-status="failed"]',
        {
          timeout: 30_000,
        },
      );
    };
    await submit('Please echo "hello from opsq" back to me.', "echo");
    await submit("What time is it now?", "clock");
    await submit("What is (17 + 25) * 3?", "calculator");
    await page.screenshot({ path: join(docs, "dashboard-task.png"), fullPage: true });
    console.log("wrote docs/dashboard-task.png");
    await page.goto(`${dashboard.url}panels/tasks/`);
    await page.screenshot({ path: join(docs, "dashboard-tasks.png") });
    console.log("wrote docs/dashboard-tasks.png");
  } finally {
    await browser.close();
    await dashboard.close();
    worker.kill("SIGTERM");
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        worker.kill("SIGKILL");
        resolve();
      }, 10_000);
      worker.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const { sql } = await import("drizzle-orm");
    await opened.database.db.execute(sql.raw(`drop schema if exists "${schema}" cascade`));
    await opened.close();
    const amqp = await (await import("amqplib")).connect(rabbitmqUrl);
    const channel = await amqp.createChannel();
    for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(name);
    await amqp.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await taskScreenshots();
