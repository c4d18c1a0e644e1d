/**
 * The frame of every page: navigation, read-only badge, refresh choice, one-time message, and
 * the action form used by every page (a POST carrying the CSRF token).
 *
 * @module
 */
import { CSRF_FIELD } from "./csrf.js";
import { html, type SafeHtml } from "./html.js";
import type { DashboardPanel } from "./panel.js";

/** What every page needs to know about the request and the dashboard. */
export interface PageContext {
  /** Mount point, links start with it. */
  prefix: string;
  /** This client's CSRF token. */
  csrf: string;
  /** No action is rendered. */
  readOnly: boolean;
  /** A cancellation store is configured. */
  canCancel: boolean;
  /** A token is required (a log-out button is shown). */
  tokenRequired: boolean;
  /** Pages added by other packages. */
  panels: readonly DashboardPanel[];
  /** A one-time message (after an action). */
  flash?: { text: string; error: boolean };
}

/** A full page. `active` is the navigation entry; `refreshMs` makes `<main>` refresh itself. */
export function layout(
  context: PageContext,
  page: { title: string; active: string; body: SafeHtml; refresh?: boolean },
): SafeHtml {
  const p = context.prefix;
  const nav: [string, string, string][] = [
    ["queues", "Queues", `${p}/queues`],
    ["dead-letters", "Dead letters", `${p}/dead-letters`],
    ["delayed", "Delayed", `${p}/delayed`],
    ["workers", "Workers", `${p}/workers`],
    ...(context.canCancel ? [["cancel", "Cancel", `${p}/cancel`] as [string, string, string]] : []),
    ...context.panels.map((panel): [string, string, string] => [
      `panel:${panel.id}`,
      panel.title,
      `${p}/panels/${panel.id}`,
    ]),
  ];
  const flash = context.flash;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · opsq</title>
<link rel="stylesheet" href="${p}/assets/app.css"><script src="${p}/assets/app.js" defer></script></head>
<body><header><a class="brand" href="${p}/queues">opsq</a>
${nav.map(([id, title, href]) => html`<a href="${href}" class="${id === page.active ? "on" : ""}">${title}</a> `)}
<span class="right">${context.readOnly ? html`<span class="badge" id="read-only">read-only</span>` : ""}
<label>refresh <select id="refresh"><option value="0">off</option><option value="1000">1 s</option><option value="2000">2 s</option><option value="5000">5 s</option></select></label>
${context.tokenRequired ? actionForm(context, "/logout", {}, "log out") : ""}</span></header>
<main${page.refresh === true ? html` data-refresh="2000"` : ""}>
${flash === undefined ? "" : html`<div class="flash${flash.error ? " error" : ""}" role="status">${flash.text}</div>`}
${page.body}
</main></body></html>`;
}

/** The hidden field carrying the CSRF token. */
export function csrfField(context: Pick<PageContext, "csrf">): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${context.csrf}">`;
}

/** A one-button form POSTing `fields` to `path` (below the mount point). */
export function actionForm(
  context: PageContext,
  path: string,
  fields: Record<string, string>,
  label: string,
  kind: "plain" | "danger" | "primary" = "plain",
): SafeHtml {
  return html`<form class="inline" method="post" action="${context.prefix}${path}">${csrfField(context)}${Object.entries(
    fields,
  ).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit" class="${kind}">${label}</button></form>`;
}

/** A duration for people: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1_000));
  if (s < 60) {
    return `${s} s`;
  }
  const min = Math.floor(s / 60);
  if (min < 60) {
    return `${min} min`;
  }
  const h = Math.floor(min / 60);
  if (h < 48) {
    return `${h} h ${min % 60} min`;
  }
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
