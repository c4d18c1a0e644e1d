/**
 * The dashboard handler on node:http with an in-memory source: hostile message bodies render
 * inert, actions need the CSRF token and the same origin, deletes and purges ask first,
 * read-only mode refuses actions, a token-protected dashboard asks for the token, and the
 * handler works mounted under a path.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createDashboardHandler } from "../../../src/dashboard/handler.js";
import { html } from "../../../src/dashboard/html.js";
import type { DashboardOptions } from "../../../src/dashboard/options.js";
import { FakeSource, letter } from "./fake-source.js";
import { Client, type Served, serve } from "./serve.js";

const HOSTILE = "<script>alert(1)</script>";

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(options: Partial<DashboardOptions> = {}) {
  const source = new FakeSource();
  const handler = createDashboardHandler({ source, ...options });
  served = await serve(handler);
  return { source, client: new Client(served.origin), handler };
}

describe("dashboard handler", () => {
  it("renders a dead letter whose body, actor, error and headers hold markup as inert text", async () => {
    const { source, client } = await start();
    const hostile = letter({
      messageId: "m-<b>",
      actor: `<img src=x onerror=alert(1)>`,
      args: [HOSTILE],
      kwargs: { [HOSTILE]: HOSTILE },
      error: `Error: ${HOSTILE}`,
    });
    source.letters = [hostile];
    source.details.set("m-<b>", {
      letter: hostile,
      body: JSON.stringify({ args: [HOSTILE] }),
      headers: { [HOSTILE]: `"><script>alert(2)</script>` },
      traceback: `Traceback\n${HOSTILE}`,
    });

    const list = await client.get("/dead-letters?queue=emails");
    const detail = await client.get(`/dead-letters/message?queue=emails&id=${encodeURIComponent("m-<b>")}`);

    for (const page of [list, detail]) {
      expect(page.status).toBe(200);
      expect(page.text).not.toContain("<script>alert");
      expect(page.text).not.toContain("<img src=x");
      expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      // Only the package's own script tag; and the CSP forbids inline scripts anyway.
      expect(page.text.match(/<script/g)).toHaveLength(1);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    }
    expect(detail.text).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(list.text).toContain("rejected in emails ×1");
  });

  it("lists dead letters as opsq dead-letters does: call preview, retries and the error's attempt", async () => {
    const { client } = await start();
    const page = await client.get("/dead-letters?queue=emails");
    expect(page.text).toContain("send_email(&quot;a@example.com&quot;)");
    expect(page.text).toContain("error of attempt 2 of 3");
  });

  it("refuses a POST without the CSRF token, with a wrong one, or from another origin", async () => {
    const { source, client } = await start();
    await client.get("/queues");
    expect(client.csrf).toMatch(/^[\w-]{32}$/);

    const none = await client.post("/dead-letters/requeue", { queue: "emails", id: "m-1" });
    const wrong = await client.post("/dead-letters/requeue", {
      queue: "emails",
      id: "m-1",
      _csrf: "x".repeat(32),
    });
    const foreign = await client.post(
      "/dead-letters/requeue",
      { queue: "emails", id: "m-1", _csrf: client.csrf },
      { origin: "http://evil.example" },
    );

    expect([none.status, wrong.status, foreign.status]).toEqual([403, 403, 403]);
    expect(none.text).toContain("CSRF token");
    expect(foreign.text).toContain("another origin");
    expect(source.calls.filter((c) => c.startsWith("requeue"))).toEqual([]);
  });

  it("requeues with the token, then shows a one-time message", async () => {
    const { source, client } = await start();
    await client.get("/queues");
    const done = await client.post("/dead-letters/requeue", {
      queue: "emails",
      id: "m-1",
      _csrf: client.csrf,
    });
    expect(done.status).toBe(303);
    expect(done.location).toBe("/dead-letters?queue=emails");
    expect(source.calls).toContain("requeue emails m-1");
    const next = await client.get("/dead-letters?queue=emails");
    expect(next.text).toContain("requeued m-1 to emails");
    const again = await client.get("/dead-letters?queue=emails");
    expect(again.text).not.toContain("requeued m-1");
  });

  it("asks for confirmation before deleting or purging", async () => {
    const { source, client } = await start();
    await client.get("/queues");
    const ask = await client.post("/dead-letters/purge", { queue: "emails", _csrf: client.csrf });
    expect(ask.status).toBe(200);
    expect(ask.text).toContain("This cannot be undone");
    expect(source.calls).not.toContain("purge emails");
    const purge = await client.post("/dead-letters/purge", {
      queue: "emails",
      _csrf: client.csrf,
      confirm: "yes",
    });
    expect(purge.status).toBe(303);
    const askDelete = await client.post("/dead-letters/delete", {
      queue: "emails",
      id: "m-1",
      _csrf: client.csrf,
    });
    expect(askDelete.text).toContain("Delete the dead letter");
    expect(source.calls).toEqual(["purge emails"]);
  });

  it("read-only: shows no action and refuses every POST", async () => {
    const { source, client } = await start({ readOnly: true });
    const page = await client.get("/dead-letters?queue=emails");
    expect(page.text).toContain('id="read-only"');
    expect(page.text).not.toContain("/dead-letters/requeue");
    expect(page.text).not.toContain("/dead-letters/purge");
    const refused = await client.post("/dead-letters/requeue", {
      queue: "emails",
      id: "m-1",
      _csrf: client.csrf,
    });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("read-only");
    expect(source.calls.some((c) => c.startsWith("requeue"))).toBe(false);
  });

  it("with a token: asks for it, accepts it as a bearer header or through the login form's HttpOnly cookie", async () => {
    const { client } = await start({ token: "s3cret-token" });
    const anonymous = await client.get("/queues");
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toContain('name="token"');
    expect(anonymous.text).not.toContain("emails");

    const bearer = await new Client(client.origin).get("/queues", { authorization: "Bearer s3cret-token" });
    expect(bearer.status).toBe(200);
    // A script with the bearer token acts without a CSRF token; a wrong bearer token cannot.
    const scripted = await new Client(client.origin).post(
      "/dead-letters/requeue",
      { queue: "emails", id: "m-1" },
      { authorization: "Bearer s3cret-token" },
    );
    expect(scripted.status).toBe(303);
    const forged = await new Client(client.origin).post(
      "/dead-letters/requeue",
      { queue: "emails", id: "m-1" },
      { authorization: "Bearer s3cret-tokeN" },
    );
    expect(forged.status).toBe(403);

    const wrong = await client.post("/login", { token: "nope", _csrf: client.csrf });
    expect(wrong.status).toBe(401);
    const login = await client.post("/login", { token: "s3cret-token", _csrf: client.csrf });
    expect(login.status).toBe(303);
    const setCookie = login.headers.getSetCookie().find((c) => c.startsWith("opsq_dashboard_session="));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain("s3cret-token");
    expect((await client.get("/queues")).status).toBe(200);
  });

  it("mounted under /ops on node:http: serves its pages there, with links there, and nothing elsewhere", async () => {
    const { client } = await start({ basePath: "/ops" });
    const page = await client.get("/ops/queues");
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/ops/assets/app.css"');
    expect(page.text).toContain('href="/ops/dead-letters?queue=emails"');
    expect((await client.get("/ops/assets/app.js")).status).toBe(200);
    expect((await client.get("/queues")).status).toBe(404);
    const root = await client.get("/ops");
    expect(root.status).toBe(303);
    expect(root.location).toBe("/ops/queues");
  });

  it("mounted by Express-style routers (req.baseUrl set, req.url stripped): links follow the mount point", async () => {
    const source = new FakeSource();
    const handler = createDashboardHandler({ source });
    served = await serve((req, res) => {
      if (!req.url?.startsWith("/admin/q")) {
        res.end("app");
        return;
      }
      Object.assign(req, {
        originalUrl: req.url,
        baseUrl: "/admin/q",
        url: req.url.slice("/admin/q".length) || "/",
      });
      handler(req, res);
    });
    const page = await new Client(served.origin).get("/admin/q/workers");
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/admin/q/queues"');
  });

  it("renders a panel another package adds, escaping what it interpolates, and routes its POSTs after the checks", async () => {
    const acted: string[] = [];
    const { client } = await start({
      panels: [
        {
          id: "tasks",
          title: "Agent tasks",
          render: async (request) =>
            html`<h1>Tasks</h1><p>${HOSTILE}</p><form method="post" action="${request.base}/resubmit">${request.csrfField}<button>go</button></form>`,
          act: async (request) => {
            acted.push(request.path);
            return { flash: "resubmitted" };
          },
        },
      ],
    });
    const page = await client.get("/panels/tasks");
    expect(page.text).toContain("Agent tasks");
    expect(page.text).toContain("&lt;script&gt;");
    expect((await client.post("/panels/tasks/resubmit", {})).status).toBe(403);
    const done = await client.post("/panels/tasks/resubmit", { _csrf: client.csrf });
    expect(done.status).toBe(303);
    expect(acted).toEqual(["/resubmit"]);
  });

  it("streams a panel's updates as Server-Sent Events, escaped, ending with an end event", async () => {
    const { client } = await start({
      panels: [
        {
          id: "tasks",
          title: "Agent tasks",
          render: async () => html`<p data-events id="status">pending</p>`,
          async *events(request) {
            yield { status: html`${request.path} running ${HOSTILE}` };
            yield { status: html`completed` };
          },
        },
      ],
    });
    const stream = await client.get("/panels/tasks/t1", { accept: "text/event-stream" });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const events = stream.text.split("\n\n").filter((block) => block.startsWith("event:"));
    expect(events).toHaveLength(3);
    expect(events[0]).toContain("event: update");
    const first = JSON.parse(events[0]?.split("data: ")[1] ?? "") as { status: string };
    expect(first.status).toContain("/t1 running &lt;script&gt;");
    expect(events[2]).toBe("event: end\ndata: {}");
    // The page itself is still a page.
    expect((await client.get("/panels/tasks/t1")).text).toContain("data-events");
  });

  it("ends open event streams when the dashboard closes, even a panel's that never yields again", async () => {
    const { client, handler } = await start({
      panels: [
        {
          id: "tasks",
          title: "Agent tasks",
          render: async () => html`<p data-events id="status">pending</p>`,
          async *events() {
            yield { status: html`running` };
            await new Promise(() => {}); // never settles, ignores its signal
          },
        },
      ],
    });
    const stream = client.get("/panels/tasks/t1", { accept: "text/event-stream" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await handler.close();
    const ended = await stream;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(ended.text).toContain("event: update");
    // Ended by the dashboard, not by the panel: no `end` event, so the browser reconnects.
    expect(ended.text).not.toContain("event: end");
  });

  it("shows the Cancel page and cancels only when a cancellation store is configured", async () => {
    const { source, client } = await start();
    expect((await client.get("/cancel")).status).toBe(404);
    const cancelled: string[] = [];
    source.cancel = async (ids) => {
      cancelled.push(...ids);
    };
    expect((await client.get("/cancel")).text).toContain('name="ids"');
    const done = await client.post("/cancel", { ids: "a1 b2\nc3", _csrf: client.csrf });
    expect(done.status).toBe(303);
    expect(cancelled).toEqual(["a1", "b2", "c3"]);
  });

  it("never renders a broker password in an error", async () => {
    const { source, client } = await start();
    source.deadLetters = async () => {
      throw new Error("cannot connect to amqp://admin:hunter2@rabbit:5672");
    };
    const page = await client.get("/dead-letters?queue=emails");
    expect(page.status).toBe(502);
    expect(page.text).not.toContain("hunter2");
    expect(page.text).toContain("amqp://admin:***@rabbit:5672");
  });

  it("answers 504 when the source does not answer in time (a broker outage), and nothing after", async () => {
    const { source, client } = await start({ requestTimeoutMs: 200 });
    let release: () => void = () => {};
    source.queues = () =>
      new Promise((resolve) => {
        release = () => resolve([]);
      });
    const started = Date.now();
    const page = await client.get("/queues");
    expect(page.status).toBe(504);
    expect(page.text).toContain("No answer within 200 ms");
    expect(Date.now() - started).toBeLessThan(5_000);
    release();
  });
});
