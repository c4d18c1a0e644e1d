/**
 * The dashboard's pages (GET): each reads from the source and renders its page in the layout;
 * a failure renders one line, password hidden.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import { qName } from "../queue-names.js";
import { html, type SafeHtml } from "./html.js";
import { layout, type PageContext } from "./layout.js";
import { cancelPage } from "./pages/cancel.js";
import { deadLetterPage, deadLetterQueuesPage, deadLettersPage } from "./pages/dead-letters.js";
import { delayedPage } from "./pages/delayed.js";
import { queuesPage } from "./pages/queues.js";
import { workersPage } from "./pages/workers.js";
import type { DashboardRequest } from "./request.js";
import { oneLine, redirect, sendPage } from "./response.js";
import { findPanel, panelRequest, required, type Settings } from "./routing.js";

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;

/** Answers a GET with its page. */
export async function showPage(
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

function listLimit(value: string | null): number {
  const n = Number(value ?? DEFAULT_LIST_LIMIT);
  return Number.isSafeInteger(n) && n >= 1 ? Math.min(n, MAX_LIST_LIMIT) : DEFAULT_LIST_LIMIT;
}
