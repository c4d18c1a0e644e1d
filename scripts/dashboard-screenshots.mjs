#!/usr/bin/env node
// Screenshots of the dashboard's main pages into docs/ (docs/dashboard-*.png), from a small
// scene on the live RabbitMQ: a worker (with its heartbeat) on two queues, a steady trickle of
// messages, a few dead letters and delayed messages. Needs `npx tsc -b` and Debian's chromium.
//   node scripts/dashboard-screenshots.mjs   (RABBITMQ_URL, DATABASE_URL, CHROMIUM_PATH optional)
// The Agent tasks panel's screenshots come from scripts/dashboard-task-screenshots.mjs, called at the end.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineActor, RabbitmqBroker, Worker, WorkerHeartbeat } from "opsq";
import { startDashboard } from "opsq/dashboard";
import { chromium } from "playwright-core";

const url = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const docs = fileURLToPath(new URL("../docs/", import.meta.url));
const queues = ["shop-emails", "shop-reports"];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const broker = new RabbitmqBroker({ url, connectionName: "opsq-screenshots" });
broker.addMiddleware(new WorkerHeartbeat({ url, intervalMs: 1_000 }));
const sendEmail = defineActor(
  "send_email",
  async (to, _template) => {
    await sleep(20);
    if (to.endsWith("@bounce.example")) throw new Error(`SMTP 550: mailbox ${to} unavailable`);
  },
  { queue: queues[0], broker, maxRetries: 1, minBackoffMs: 10, maxBackoffMs: 20 },
);
const buildReport = defineActor(
  "build_report",
  async (_month) => {
    await sleep(50);
  },
  { queue: queues[1], broker },
);

const worker = new Worker(broker, { queues, concurrency: 8 });
await worker.start();
for (const to of ["ann@bounce.example", "bob@bounce.example", "<script>alert(1)</script>@bounce.example"]) {
  await sendEmail.send(to, { template: "welcome" });
}
for (const month of ["2026-10", "2026-11", "2026-12"]) {
  await buildReport.sendWithOptions({ args: [month], delayMs: 3_600_000 });
}
let trickling = true;
const trickle = (async () => {
  for (let i = 0; trickling; i++) {
    await sendEmail.send(`user${i}@example.com`, { template: "digest" });
    if (i % 3 === 0) await buildReport.send(`2026-${String((i % 12) + 1).padStart(2, "0")}`);
    await sleep(40 + 30 * Math.sin(i / 15));
  }
})();

const dashboard = await startDashboard({ port: 0, brokerUrl: url, queues });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  // Rate points come every 5 s: let the chart gather some.
  await page.goto(`${dashboard.url}queues`);
  await sleep(32_000);
  const shots = [
    ["queues", "queues"],
    ["dead-letters", `dead-letters?queue=${queues[0]}`],
    ["delayed", "delayed"],
    ["workers", "workers"],
  ];
  for (const [name, path] of shots) {
    await page.goto(`${dashboard.url}${path}`);
    await page.screenshot({ path: join(docs, `dashboard-${name}.png`) });
    console.log(`wrote docs/dashboard-${name}.png`);
  }
  await page.goto(`${dashboard.url}dead-letters?queue=${queues[0]}`);
  await page.locator("#dead-letters tbody tr a").first().click();
  await page.screenshot({ path: join(docs, "dashboard-dead-letter.png"), fullPage: true });
  console.log("wrote docs/dashboard-dead-letter.png");
} finally {
  trickling = false;
  await trickle;
  await browser.close();
  await dashboard.close();
  await worker.stop();
  const model = await (await import("amqplib")).connect(url);
  const channel = await model.createChannel();
  for (const queue of queues) {
    for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(name);
  }
  await model.close();
  await broker.close();
}

// ops-core's Agent tasks panel (needs PostgreSQL too).
const { taskScreenshots } = await import("./dashboard-task-screenshots.mjs");
await taskScreenshots();
