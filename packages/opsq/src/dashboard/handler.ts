/**
 * The dashboard as a plain `(req, res)` request handler, which node:http, Express
 * (`app.use("/ops", handler)`) and Fastify (`reply.hijack(); handler(req.raw, reply.raw)`)
 * can all mount. Server-rendered pages; every action is a POST checked for the token, the
 * CSRF token and the origin, and refused in read-only mode; then redirected to a page
 * (post/redirect/get) with a one-time message.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describeError } from "../error-text.js";
import { redactUrl } from "../logger.js";
import { qName } from "../queue-names.js";
import { Access } from "./access.js";
import { SCRIPT, STYLESHEET } from "./assets.js";
import { csrfRefusal, csrfToken } from "./csrf.js";
import { html, type SafeHtml } from "./html.js";
import { layout, type PageContext } from "./layout.js";
import { DASHBOARD_TOKEN_ENV, type DashboardOptions } from "./options.js";
import { cancelPage } from "./pages/cancel.js";
import { confirmPage, deadLetterPage, deadLetterQueuesPage, deadLettersPage } from "./pages/dead-letters.js";
import { delayedPage } from "./pages/delayed.js";
import { loginPage } from "./pages/login.js";
import { queuesPage } from "./pages/queues.js";
import { workersPage } from "./pages/workers.js";
import type { DashboardPanel } from "./panel.js";
import { RabbitmqSource } from "./rabbitmq-source.js";
import { type DashboardRequest, locate, parseCookies, readForm } from "./request.js";
import type { DashboardSource } from "./source.js";

/** The dashboard's request handler, plus what releases its connections. */
export interface DashboardHandler {
  /** Handles a request; outside the mount point, calls `next` (Express) or answers 404. */
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Where the data comes from. */
  readonly source: DashboardSource;
  /** Closes the broker connection and the panels. */
  close(): Promise<void>;
}

const FLASH_COOKIE = "opsq_dashboard_flash";
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;

/** Content-Security-Policy of every page: only the package's own script and stylesheet. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Builds the dashboard's handler. The RabbitMQ connection opens on the first request. */
export function createDashboardHandler(options: DashboardOptions = {}): DashboardHandler {
  const source =
    options.source ??
    new RabbitmqSource({
      url: options.brokerUrl ?? process.env.RABBITMQ_URL ?? "amqp://guest:guest@localhost:5672",
      queues: options.queues,
      managementUrl: options.managementUrl,
      cancel: options.cancel,
      cacheMs: options.cacheMs,
      logger: options.logger,
    });
  const access = new Access(options.token ?? process.env[DASHBOARD_TOKEN_ENV]);
  const panels = options.panels ?? [];
  for (const panel of panels) {
    if (!/^[a-z0-9-]+$/.test(panel.id)) {
      throw new RangeError(`a panel id must match [a-z0-9-]+, got ${JSON.stringify(panel.id)}`);
    }
  }
  const settings = {
    basePath: options.basePath ?? "",
    readOnly: options.readOnly === true,
    access,
    panels,
    source,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
  };
  const handler = ((req, res, next) => {
    handle(req, res, settings, next).catch((error: unknown) => {
      if (!res.headersSent) {
        send(
          res,
          500,
          "text/plain; charset=utf-8",
          `opsq dashboard: ${redactUrl(describeError(error, 300))}\n`,
        );
      } else {
        res.destroy();
      }
    });
  }) as DashboardHandler;
  Object.defineProperty(handler, "source", { value: source });
  handler.close = async () => {
    await Promise.all(panels.map((panel) => panel.close?.().catch(() => {})));
    await source.close();
  };
  return handler;
}

interface Settings {
  requestTimeoutMs: number;
  basePath: string;
  readOnly: boolean;
  access: Access;
  panels: readonly DashboardPanel[];
  source: DashboardSource;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  settings: Settings,
  next: ((error?: unknown) => void) | undefined,
): Promise<void> {
  const place = locate(req, settings.basePath);
  if (place === undefined) {
    if (next !== undefined) {
      next();
    } else {
      send(res, 404, "text/plain; charset=utf-8", "not found\n");
    }
    return;
  }
  const method = (req.method ?? "GET").toUpperCase();
  if (method === "GET" && place.path === "/assets/app.css") {
    return sendAsset(res, "text/css; charset=utf-8", STYLESHEET);
  }
  if (method === "GET" && place.path === "/assets/app.js") {
    return sendAsset(res, "text/javascript; charset=utf-8", SCRIPT);
  }
  const cookies = parseCookies(req.headers.cookie);
  const request: DashboardRequest = {
    method,
    path: place.path,
    prefix: place.prefix,
    query: place.query,
    cookies,
    form: new URLSearchParams(),
    raw: req,
    setCookies: [],
  };
  const csrf = csrfToken(cookies, cookiePath(request));
  if (csrf.setCookie !== undefined) {
    request.setCookies.push(csrf.setCookie);
  }
  const allowed = settings.access.check(req, cookies);
  if (allowed === "forbidden") {
    return send(
      res,
      403,
      "text/plain; charset=utf-8",
      `the opsq dashboard answers only loopback clients unless ${DASHBOARD_TOKEN_ENV} is set\n`,
    );
  }
  if (method === "POST") {
    try {
      request.form = await readForm(req);
    } catch (error) {
      return send(res, 400, "text/plain; charset=utf-8", `${describeError(error, 200)}\n`);
    }
    // A bearer token is no ambient credential: a cross-site form cannot send it.
    const refusal = allowed === "bearer" ? undefined : csrfRefusal(req, cookies, request.form);
    if (refusal !== undefined) {
      return send(res, 403, "text/plain; charset=utf-8", `refused: ${refusal}\n`);
    }
  } else if (method !== "GET" && method !== "HEAD") {
    res.setHeader("allow", "GET, POST");
    return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
  }
  if (request.path === "/login") {
    return login(request, res, settings, csrf.token);
  }
  if (allowed === "login") {
    return sendPage(res, request, 401, loginPage(request.prefix, csrf.token, undefined));
  }
  if (method === "POST" && request.path === "/logout") {
    request.setCookies.push(Access.logoutCookie(cookiePath(request)));
    return redirect(res, request, "/login");
  }
  const context: PageContext = {
    prefix: request.prefix,
    csrf: csrf.token,
    readOnly: settings.readOnly,
    canCancel: settings.source.cancel !== undefined,
    tokenRequired: settings.access.tokenRequired,
    panels: settings.panels,
    flash: takeFlash(request),
  };
  if (method === "POST" && settings.readOnly) {
    return send(res, 403, "text/plain; charset=utf-8", "refused: the dashboard is read-only\n");
  }
  // Bounded: during a broker outage the source waits for the reconnection; the page does not.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, settings.requestTimeoutMs);
  });
  const work =
    method === "POST" ? act(request, res, settings, context) : show(request, res, settings, context);
  work.catch(() => {});
  await Promise.race([work, timedOut]);
  clearTimeout(timer);
  if (!res.headersSent) {
    const body = html`<h1>Timed out</h1><p class="bad" id="error">No answer within ${settings.requestTimeoutMs} ms: is RabbitMQ reachable?</p>`;
    sendPage(res, request, 504, layout(context, { title: "Timed out", active: "", body }));
  }
}

async function show(
  request: DashboardRequest,
  res: ServerResponse,
  settings: Settings,
  context: PageContext,
) {
  const { source } = settings;
  const page = (status: number, title: string, active: string, body: SafeHtml, refresh = false) =>
    sendPage(res, request, status, layout(context, { title, active, body, refresh }));
  const path = request.path;
  try {
    if (path === "/" || path === "") {
      return redirect(res, request, "/queues");
    }
    if (path === "/queues") {
      const [rows, origin] = await Promise.all([source.queues(), source.statsOrigin()]);
      return page(200, "Queues", "queues", queuesPage(context, rows, origin), true);
    }
    if (path === "/dead-letters") {
      const queue = request.query.get("queue");
      if (queue === null || queue === "") {
        return page(
          200,
          "Dead letters",
          "dead-letters",
          deadLetterQueuesPage(context, await source.queues()),
          true,
        );
      }
      const limit = listLimit(request.query.get("limit"));
      const letters = await source.deadLetters(queue, limit);
      return page(
        200,
        `Dead letters of ${qName(queue)}`,
        "dead-letters",
        deadLettersPage(context, qName(queue), letters, limit),
        true,
      );
    }
    if (path === "/dead-letters/message") {
      const queue = qName(required(request.query, "queue"));
      const id = required(request.query, "id");
      const detail = await source.deadLetter(queue, id);
      if (detail === undefined) {
        return page(
          404,
          "Not found",
          "dead-letters",
          html`<h1>Not found</h1><p>No dead letter <code>${id}</code> in <code>${queue}.XQ</code> (requeued or deleted meanwhile?).</p><p><a href="${context.prefix}/dead-letters?queue=${encodeURIComponent(queue)}">← ${queue}.XQ</a></p>`,
        );
      }
      return page(200, `Dead letter ${id}`, "dead-letters", deadLetterPage(context, queue, detail));
    }
    if (path === "/delayed") {
      return page(200, "Delayed", "delayed", delayedPage(context, await source.delayed()), true);
    }
    if (path === "/workers") {
      return page(200, "Workers", "workers", workersPage(context, await source.workers()), true);
    }
    if (path === "/cancel" && context.canCancel) {
      return page(200, "Cancel", "cancel", cancelPage(context));
    }
    const panel = findPanel(settings, path);
    if (panel !== undefined) {
      const body = await panel.panel.render(panelRequest(request, context, panel));
      return page(200, panel.panel.title, `panel:${panel.panel.id}`, body, panel.panel.live === true);
    }
    return page(404, "Not found", "", html`<h1>Not found</h1><p>No page <code>${path}</code>.</p>`);
  } catch (error) {
    return page(502, "Error", "", html`<h1>Error</h1><p class="bad" id="error">${oneLine(error)}</p>`);
  }
}

async function act(request: DashboardRequest, res: ServerResponse, settings: Settings, context: PageContext) {
  const { source } = settings;
  const form = request.form;
  const path = request.path;
  try {
    if (path.startsWith("/dead-letters/")) {
      const queue = qName(required(form, "queue"));
      const back = `/dead-letters?queue=${encodeURIComponent(queue)}`;
      switch (path) {
        case "/dead-letters/requeue": {
          const id = required(form, "id");
          const found = await source.requeueDeadLetter(queue, id);
          return redirect(
            res,
            request,
            back,
            found ? `requeued ${id} to ${queue}` : `no dead letter ${id} in ${queue}.XQ`,
            !found,
          );
        }
        case "/dead-letters/requeue-all": {
          const moved = await source.requeueAllDeadLetters(queue);
          return redirect(res, request, back, `requeued ${moved} dead letter(s) to ${queue}`);
        }
        case "/dead-letters/delete":
        case "/dead-letters/purge": {
          const action = path === "/dead-letters/delete" ? "delete" : "purge";
          const id = action === "delete" ? required(form, "id") : undefined;
          if (form.get("confirm") !== "yes") {
            return sendPage(
              res,
              request,
              200,
              layout(context, {
                title: "Confirm",
                active: "dead-letters",
                body: confirmPage(context, action, queue, id),
              }),
            );
          }
          if (id !== undefined) {
            const found = await source.deleteDeadLetter(queue, id);
            return redirect(
              res,
              request,
              back,
              found ? `deleted ${id}` : `no dead letter ${id} in ${queue}.XQ`,
              !found,
            );
          }
          const purged = await source.purgeDeadLetters(queue);
          return redirect(res, request, back, `purged ${purged} dead letter(s) from ${queue}.XQ`);
        }
      }
    }
    if (path === "/cancel" && source.cancel !== undefined) {
      const ids = (form.get("ids") ?? "").split(/[\s,]+/).filter(Boolean);
      if (ids.length === 0) {
        return redirect(res, request, "/cancel", "give at least one message id", true);
      }
      await source.cancel(ids);
      return redirect(res, request, "/cancel", `cancelled ${ids.join(", ")}`);
    }
    const panel = findPanel(settings, path);
    if (panel?.panel.act !== undefined) {
      const result = await panel.panel.act(panelRequest(request, context, panel));
      return redirect(res, request, `/panels/${panel.panel.id}${result.redirect ?? "/"}`, result.flash);
    }
    return send(res, 404, "text/plain; charset=utf-8", "no such action\n");
  } catch (error) {
    const back = path.startsWith("/panels/") ? path : path === "/cancel" ? "/cancel" : "/queues";
    const queue = form.get("queue");
    return redirect(
      res,
      request,
      queue ? `/dead-letters?queue=${encodeURIComponent(queue)}` : back,
      oneLine(error),
      true,
    );
  }
}

async function login(request: DashboardRequest, res: ServerResponse, settings: Settings, csrf: string) {
  if (!settings.access.tokenRequired) {
    return redirect(res, request, "/queues");
  }
  if (request.method !== "POST") {
    return sendPage(res, request, 200, loginPage(request.prefix, csrf, undefined));
  }
  if (!settings.access.accepts(request.form.get("token") ?? "")) {
    return sendPage(res, request, 401, loginPage(request.prefix, csrf, "Wrong token."));
  }
  const secure = (request.raw.socket as { encrypted?: boolean }).encrypted === true;
  request.setCookies.push(settings.access.sessionCookie(cookiePath(request), secure));
  return redirect(res, request, "/queues");
}

function findPanel(settings: Settings, path: string): { panel: DashboardPanel; rest: string } | undefined {
  const match = /^\/panels\/([a-z0-9-]+)(\/.*)?$/.exec(path);
  const panel = match === null ? undefined : settings.panels.find((p) => p.id === match[1]);
  return panel === undefined ? undefined : { panel, rest: match?.[2] ?? "/" };
}

function panelRequest(
  request: DashboardRequest,
  context: PageContext,
  found: { panel: DashboardPanel; rest: string },
) {
  return {
    path: found.rest,
    query: request.query,
    form: request.form,
    base: `${request.prefix}/panels/${found.panel.id}`,
    readOnly: context.readOnly,
    csrfField: html`<input type="hidden" name="_csrf" value="${context.csrf}">`,
  };
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === "") {
    throw new RangeError(`missing "${name}"`);
  }
  return value;
}

function listLimit(value: string | null): number {
  const n = Number(value ?? DEFAULT_LIST_LIMIT);
  return Number.isSafeInteger(n) && n >= 1 ? Math.min(n, MAX_LIST_LIMIT) : DEFAULT_LIST_LIMIT;
}

// One line, with any URL's password hidden.
function oneLine(error: unknown): string {
  return redactUrl(describeError(error, 500)).replace(/\s*\n\s*/g, " ");
}

function cookiePath(request: DashboardRequest): string {
  return request.prefix === "" ? "/" : request.prefix;
}

function takeFlash(request: DashboardRequest): PageContext["flash"] {
  const value = request.cookies.get(FLASH_COOKIE);
  if (value === undefined || value === "") {
    return undefined;
  }
  request.setCookies.push(
    `${FLASH_COOKIE}=; Path=${cookiePath(request)}; HttpOnly; SameSite=Strict; Max-Age=0`,
  );
  return { text: value.slice(1), error: value.startsWith("!") };
}

function redirect(res: ServerResponse, request: DashboardRequest, to: string, flash?: string, error = false) {
  if (res.headersSent) {
    return;
  }
  if (flash !== undefined) {
    request.setCookies.push(
      `${FLASH_COOKIE}=${encodeURIComponent(`${error ? "!" : "-"}${flash.slice(0, 500)}`)}; Path=${cookiePath(request)}; HttpOnly; SameSite=Strict; Max-Age=60`,
    );
  }
  res.statusCode = 303;
  res.setHeader("location", `${request.prefix}${to}`);
  res.setHeader("set-cookie", request.setCookies);
  res.setHeader("cache-control", "no-store");
  res.end();
}

function sendPage(res: ServerResponse, request: DashboardRequest, status: number, page: SafeHtml) {
  if (res.headersSent) {
    return;
  }
  res.setHeader("set-cookie", request.setCookies);
  res.setHeader("content-security-policy", CSP);
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "same-origin");
  send(res, status, "text/html; charset=utf-8", page.text);
}

function sendAsset(res: ServerResponse, type: string, body: string) {
  res.setHeader("cache-control", "public, max-age=300");
  send(res, 200, type, body);
}

// Once only: a page that answered after its timeout is dropped.
function send(res: ServerResponse, status: number, type: string, body: string) {
  if (res.headersSent) {
    return;
  }
  res.statusCode = status;
  res.setHeader("content-type", type);
  res.setHeader("x-content-type-options", "nosniff");
  if (!res.hasHeader("cache-control")) {
    res.setHeader("cache-control", "no-store");
  }
  res.end(body);
}
