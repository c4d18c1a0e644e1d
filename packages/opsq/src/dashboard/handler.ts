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
import { Access } from "./access.js";
import { login, runAction } from "./action-routes.js";
import { SCRIPT, STYLESHEET } from "./assets.js";
import { csrfRefusal, csrfToken } from "./csrf.js";
import { html } from "./html.js";
import { layout, type PageContext } from "./layout.js";
import { DASHBOARD_TOKEN_ENV, type DashboardOptions } from "./options.js";
import { showPage } from "./page-routes.js";
import { loginPage } from "./pages/login.js";
import { streamPanelEvents, streamsEvents, wantsEvents } from "./panel-events.js";
import { RabbitmqSource } from "./rabbitmq-source.js";
import { type DashboardRequest, locate, parseCookies, readForm } from "./request.js";
import { cookiePath, redirect, send, sendAsset, sendPage, takeFlash } from "./response.js";
import { findPanel, panelRequest, type Settings } from "./routing.js";
import type { DashboardSource } from "./source.js";

/** The dashboard's request handler, plus what releases its connections. */
export interface DashboardHandler {
  /** Handles a request; outside the mount point, calls `next` (Express) or answers 404. */
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Where the data comes from. */
  readonly source: DashboardSource;
  /**
   * Ends the open Server-Sent Event streams of panels now (their browsers reconnect), so that a
   * server can close without waiting for them. `close` does it too.
   */
  endStreams(): void;
  /** Ends the event streams, then closes the broker connection and the panels. */
  close(): Promise<void>;
}

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
  const streams = new AbortController();
  const settings = {
    streamsEnd: streams.signal,
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
  handler.endStreams = () => streams.abort();
  handler.close = async () => {
    streams.abort();
    await Promise.all(panels.map((panel) => panel.close?.().catch(() => {})));
    await source.close();
  };
  return handler;
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
  if (method === "GET" && wantsEvents(req)) {
    const found = findPanel(settings, request.path);
    if (streamsEvents(found)) {
      // A stream is long by design: not bounded by the request timeout.
      return streamPanelEvents(res, found, panelRequest(request, context, found), {
        setCookies: request.setCookies,
        end: settings.streamsEnd,
      });
    }
  }
  // Bounded: during a broker outage the source waits for the reconnection; the page does not.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, settings.requestTimeoutMs);
  });
  const work =
    method === "POST"
      ? runAction(request, res, settings, context)
      : showPage(request, res, settings, context);
  work.catch(() => {});
  await Promise.race([work, timedOut]);
  clearTimeout(timer);
  if (!res.headersSent) {
    const body = html`<h1>Timed out</h1><p class="bad" id="error">No answer within ${settings.requestTimeoutMs} ms: is RabbitMQ reachable?</p>`;
    sendPage(res, request, 504, layout(context, { title: "Timed out", active: "", body }));
  }
}
