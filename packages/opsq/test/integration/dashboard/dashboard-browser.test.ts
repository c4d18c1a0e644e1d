/**
 * The dashboard in headless Chromium against the live RabbitMQ: the Queues page shows the
 * counts RabbitMQ reports; a dead letter is requeued by a click and processed by a worker; a
 * delete asks for confirmation; the Workers page shows a worker from its heartbeat; read-only
 * mode shows no action and refuses POSTs; a POST without the CSRF token is refused; a
 * token-protected dashboard asks for the token.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { createDashboardHandler } from "../../../src/dashboard/handler.js";
import { type DashboardServer, startDashboard } from "../../../src/dashboard/server.js";
import { WorkerHeartbeat } from "../../../src/heartbeat/middleware.js";
import { RABBITMQ_URL, RabbitTestBed, requireRabbitmq, waitFor } from "../../helpers/rabbitmq.js";
import { launchChromium, requireChromium } from "./browser.js";

const available = (await requireRabbitmq()) && requireChromium();

describe.runIf(available)("opsq dashboard in a browser", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { worker: { shutdownTimeoutMs: 2_000 } },
  );
  let browser: Browser;
  let page: Page;
  const servers: DashboardServer[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await page?.context().close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function open(options: Parameters<typeof startDashboard>[0] = {}): Promise<string> {
    const server = await startDashboard({
      port: 0,
      brokerUrl: RABBITMQ_URL,
      managementUrl: false,
      ...options,
    });
    servers.push(server);
    page = await (await browser.newContext()).newPage();
    return server.url.replace(/\/$/, "");
  }

  async function cell(queue: string, column: string): Promise<string> {
    return (
      (await page.locator(`tr[data-queue="${queue}"] td[data-col="${column}"]`).textContent()) ?? ""
    ).trim();
  }

  it("shows the ready, delayed and dead-lettered counts RabbitMQ reports", async () => {
    // Given a queue with dead letters (a failing actor), then, with no worker, ready and delayed messages
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("dash_counts");
    const failing = defineActor(
      "dash_counts_fail",
      () => {
        throw new Error("no");
      },
      { queue, broker, maxRetries: 0 },
    );
    const worker = await rabbit.startWorker(broker);
    await failing.send();
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, {
      message: "one dead letter",
    });
    await worker.stop();
    for (let i = 0; i < 3; i += 1) {
      await failing.send();
    }
    await failing.sendWithOptions({ args: [], delayMs: 600_000 });
    await failing.sendWithOptions({ args: [], delayMs: 600_000 });

    // When the Queues page is opened
    const base = await open({ queues: [queue] });
    await page.goto(`${base}/queues`);

    // Then it shows what RabbitMQ reports
    const reported = {
      ready: await rabbit.admin.count(queue),
      delayed: await rabbit.admin.count(`${queue}.DQ`),
      dead: await rabbit.admin.count(`${queue}.XQ`),
    };
    expect(reported).toEqual({ ready: 3, delayed: 2, dead: 1 });
    expect(await cell(queue, "ready")).toBe("3");
    expect(await cell(queue, "delayed")).toBe("2");
    expect(await cell(queue, "dead-lettered")).toBe("1");
    expect(await page.locator("#stats-source").textContent()).toContain("AMQP");
    // And the page refreshes itself in place (its script runs under the page's CSP)
    await failing.send();
    await failing.send();
    await page.locator(`tr[data-queue="${queue}"] td[data-col="ready"]`, { hasText: /^5$/ }).waitFor({
      timeout: 15_000,
    });
    expect(await page.locator("main").getAttribute("data-updated")).toMatch(/^\d+$/);

    // And the Delayed page tells when the next one is due
    await page.goto(`${base}/delayed`);
    expect(await page.locator(`#delayed tr[data-queue="${queue}"]`).textContent()).toMatch(/in (9|10) min/);
  });

  it("shows the delayed messages a worker holds, and when the next is due, from its heartbeat", async () => {
    const broker = rabbit.broker();
    broker.addMiddleware(new WorkerHeartbeat({ url: RABBITMQ_URL, intervalMs: 200 }));
    const queue = rabbit.admin.queue("dash_held");
    const later = defineActor("dash_later", () => {}, { queue, broker });
    const worker = await rabbit.startWorker(broker);
    await later.sendWithOptions({ args: [], delayMs: 1_800_000 });
    await later.sendWithOptions({ args: [], delayMs: 600_000 });
    await waitFor(async () => worker.stats.delayed === 2, { message: "two delayed messages held" });

    const base = await open();
    await page.goto(`${base}/workers`);
    await page.locator("#workers tbody tr").first().waitFor({ timeout: 10_000 });
    await page.goto(`${base}/delayed`);
    const row = page.locator(`#delayed tr[data-queue="${queue}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(((await row.locator("td").nth(2).textContent()) ?? "").trim()).toBe("2");
    expect(await row.textContent()).toMatch(/in (9|10) min/);
  });

  it("requeues a dead letter with a click; a worker then processes it; a delete asks first", async () => {
    // Given two dead letters of an actor that fails while `failing` is set
    const broker = rabbit.broker();
    broker.addMiddleware(new WorkerHeartbeat({ url: RABBITMQ_URL, intervalMs: 200 }));
    const queue = rabbit.admin.queue("dash_requeue");
    let failing = true;
    const processed: string[] = [];
    const flaky = defineActor(
      "dash_flaky",
      (name: string) => {
        if (failing) {
          throw new Error(`cannot process ${name}`);
        }
        processed.push(name);
      },
      { queue, broker, maxRetries: 0 },
    );
    await rabbit.startWorker(broker);
    const keep = await flaky.send("<script>alert(1)</script>");
    const drop = await flaky.send("drop-me");
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 2, {
      message: "two dead letters",
    });
    failing = false;

    // The Workers page shows the worker from its heartbeat
    const base = await open();
    await page.goto(`${base}/workers`);
    await page.locator("#workers tbody tr").first().waitFor({ timeout: 10_000 });
    expect(await page.locator("#workers").textContent()).toContain(queue);

    // When Requeue is clicked on the first dead letter
    await page.goto(`${base}/dead-letters?queue=${queue}`);
    const row = page.locator(`tr[data-id="${keep.messageId}"]`);
    expect(await row.textContent()).toContain("dash_flaky(");
    expect(await row.textContent()).toContain("<script>alert(1)</script>");
    await row.getByRole("button", { name: "Requeue" }).click();

    // Then it is back, processed by the worker, and gone from .XQ
    expect(await page.locator(".flash").textContent()).toContain(`requeued ${keep.messageId}`);
    await waitFor(async () => processed.includes("<script>alert(1)</script>"), {
      message: "processed after requeue",
    });
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(1);

    // And a delete asks for confirmation before it deletes
    await page.goto(`${base}/dead-letters?queue=${queue}`);
    await page.locator(`tr[data-id="${drop.messageId}"]`).getByRole("button", { name: "Delete…" }).click();
    expect(await page.locator("main").textContent()).toContain("This cannot be undone");
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(1);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    expect(await page.locator(".flash").textContent()).toContain(`deleted ${drop.messageId}`);
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(0);
    expect(processed).not.toContain("drop-me");
  });

  it("opens a dead letter's detail with its whole body, headers and traceback", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("dash_detail");
    const failing = defineActor(
      "dash_detail_fail",
      (_n: number) => {
        throw new TypeError("bad input");
      },
      { queue, broker, maxRetries: 1 },
    );
    await rabbit.startWorker(broker);
    const sent = await failing.send(7);
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, {
      message: "one dead letter",
    });

    const base = await open();
    await page.goto(`${base}/dead-letters?queue=${queue}`);
    await page.getByRole("link", { name: sent.messageId }).click();
    expect(await page.locator("#body").textContent()).toContain(`"message_id": "${sent.messageId}"`);
    expect(await page.locator("#headers").textContent()).toContain("x-death");
    expect(await page.locator("#headers").textContent()).toMatch(/"time": "20\d\d-\d\d-\d\dT/);
    expect(await page.locator("#traceback").textContent()).toContain("TypeError: bad input");
  });

  it("read-only: shows no action, and refuses a POST even with the CSRF token", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("dash_ro");
    const failing = defineActor(
      "dash_ro_fail",
      () => {
        throw new Error("no");
      },
      { queue, broker, maxRetries: 0 },
    );
    await rabbit.startWorker(broker);
    const sent = await failing.send();
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, {
      message: "one dead letter",
    });

    const base = await open({ readOnly: true });
    await page.goto(`${base}/dead-letters?queue=${queue}`);
    expect(await page.locator("#read-only").isVisible()).toBe(true);
    expect(await page.locator(`tr[data-id="${sent.messageId}"]`).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Requeue" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Purge…" }).count()).toBe(0);

    const csrf = (await page.context().cookies()).find((c) => c.name === "opsq_dashboard_csrf")!.value;
    const refused = await page.request.post(`${base}/dead-letters/requeue`, {
      form: { queue, id: sent.messageId, _csrf: csrf },
      headers: { origin: base },
    });
    expect(refused.status()).toBe(403);
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(1);
  });

  it("refuses a POST without the CSRF token, or from another origin", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("dash_csrf");
    const failing = defineActor(
      "dash_csrf_fail",
      () => {
        throw new Error("no");
      },
      { queue, broker, maxRetries: 0 },
    );
    await rabbit.startWorker(broker);
    await failing.send();
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, {
      message: "one dead letter",
    });

    const base = await open();
    await page.goto(`${base}/queues`);
    const csrf = (await page.context().cookies()).find((c) => c.name === "opsq_dashboard_csrf")!.value;
    const without = await page.request.post(`${base}/dead-letters/purge`, {
      form: { queue, confirm: "yes" },
      headers: { origin: base },
    });
    const foreign = await page.request.post(`${base}/dead-letters/purge`, {
      form: { queue, confirm: "yes", _csrf: csrf },
      headers: { origin: "http://evil.example" },
    });
    expect([without.status(), foreign.status()]).toEqual([403, 403]);
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(1);
  });

  it("mounted under /ops in an app's node:http server: links, assets and actions stay under /ops", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("dash_mount");
    const failing = defineActor(
      "dash_mount_fail",
      () => {
        throw new Error("no");
      },
      { queue, broker, maxRetries: 0 },
    );
    const worker = await rabbit.startWorker(broker);
    await failing.send();
    await failing.send();
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 2, {
      message: "two dead letters",
    });
    await worker.stop();

    const handler = createDashboardHandler({
      basePath: "/ops",
      brokerUrl: RABBITMQ_URL,
      managementUrl: false,
    });
    const server = createServer((req, res) => {
      if (req.url?.startsWith("/ops")) {
        handler(req, res);
        return;
      }
      res.end("the app");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      page = await (await browser.newContext()).newPage();
      await page.goto(`${origin}/ops/dead-letters?queue=${queue}`);
      expect(await page.locator("#dead-letters tbody tr").count()).toBe(2);
      // Its assets come from /ops/assets
      expect(await page.locator('link[rel="stylesheet"]').getAttribute("href")).toBe("/ops/assets/app.css");
      expect((await fetch(`${origin}/ops/assets/app.css`)).status).toBe(200);
      await page.getByRole("button", { name: "Requeue all" }).click();
      expect(page.url()).toBe(`${origin}/ops/dead-letters?queue=${queue}`);
      expect(await page.locator(".flash").textContent()).toContain("requeued 2 dead letter(s)");
      expect(await rabbit.admin.count(queue)).toBe(2);
      expect(await (await fetch(`${origin}/elsewhere`)).text()).toBe("the app");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
    }
  });

  it("with OPSQ_DASHBOARD_TOKEN: shows the login form, refuses a wrong token, lets the right one in", async () => {
    const base = await open({ token: "t0ken-for-test" });
    const first = await page.goto(`${base}/queues`);
    expect(first?.status()).toBe(401);
    expect(await page.locator("h1").textContent()).toContain("opsq dashboard");
    await page.locator('input[name="token"]').fill("wrong");
    await page.getByRole("button", { name: "Log in" }).click();
    expect(await page.locator(".flash.error").textContent()).toContain("Wrong token");
    await page.locator('input[name="token"]').fill("t0ken-for-test");
    await page.getByRole("button", { name: "Log in" }).click();
    expect(await page.locator("h1").textContent()).toBe("Queues");
    const session = (await page.context().cookies()).find((c) => c.name === "opsq_dashboard_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
  });
});
