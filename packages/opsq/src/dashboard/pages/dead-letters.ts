/**
 * The Dead letters pages: the queues that have some, the list of one queue's (as
 * `opsq dead-letters` prints them), and one message whole.
 *
 * @module
 */

import type { DeadLetterDetail } from "../../brokers/rabbitmq/dead-letter-actions.js";
import { callSummary, errorSummary } from "../../brokers/rabbitmq/dead-letter-summary.js";
import type { DeadLetter } from "../../brokers/rabbitmq/inspect.js";
import { html, type SafeHtml } from "../html.js";
import { actionForm, type PageContext } from "../layout.js";
import type { QueueRow } from "../source.js";

/** The queues with their dead-letter counts, when no queue is chosen. */
export function deadLetterQueuesPage(context: PageContext, rows: readonly QueueRow[]): SafeHtml {
  const p = context.prefix;
  return html`<h1>Dead letters</h1>
${
  rows.length === 0
    ? html`<p class="muted">No queue known yet.</p>`
    : html`<table><thead><tr><th>Queue</th><th class="n">Dead-lettered (.XQ)</th></tr></thead><tbody>${rows.map(
        (row) =>
          html`<tr><td><a href="${p}/dead-letters?queue=${encodeURIComponent(row.queue)}">${row.queue}</a></td><td class="n">${row.deadLettered}</td></tr>`,
      )}</tbody></table>`
}`;
}

/** One queue's dead letters (they stay in `q.XQ` while listed). */
export function deadLettersPage(
  context: PageContext,
  queue: string,
  letters: readonly DeadLetter[],
  limit: number,
): SafeHtml {
  const p = context.prefix;
  const actions = context.readOnly
    ? ""
    : html`<p>${actionForm(context, "/dead-letters/requeue-all", { queue }, "Requeue all", "primary")}
${actionForm(context, "/dead-letters/purge", { queue }, "Purge…", "danger")}</p>`;
  const rows = letters.map((letter) => {
    const id = letter.messageId;
    const detail =
      id === undefined
        ? undefined
        : `${p}/dead-letters/message?queue=${encodeURIComponent(queue)}&id=${encodeURIComponent(id)}`;
    return html`<tr data-id="${id ?? ""}"><td>${detail === undefined ? html`<span class="muted">(no message_id)</span>` : html`<a href="${detail}"><code>${id}</code></a>`}</td>
<td>${letter.actor ?? "?"}</td><td><code>${callSummary(letter)}</code></td>
<td>${letter.deaths.map((death) => html`<div>${death.reason} in ${death.queue} ×${death.count}${death.time ? html` <span class="muted">at ${death.time}</span>` : ""}</div>`)}</td>
<td class="n">${typeof letter.options.retries === "number" ? letter.options.retries : "-"}</td>
<td class="bad">${errorSummary(letter) ?? ""}</td>
<td>${context.readOnly || id === undefined ? "" : html`${actionForm(context, "/dead-letters/requeue", { queue, id }, "Requeue")} ${actionForm(context, "/dead-letters/delete", { queue, id }, "Delete…", "danger")}`}</td></tr>`;
  });
  return html`<h1>Dead letters of <code>${queue}</code></h1>${actions}
${
  letters.length === 0
    ? html`<p class="muted" id="no-dead-letters">No dead-lettered messages in ${queue}.XQ.</p>`
    : html`<table id="dead-letters"><thead><tr><th>Message id</th><th>Actor</th><th>Call</th><th>Died</th><th class="n">Retries</th><th>Error</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">${letters.length} shown${letters.length >= limit ? html` (the first ${limit}; <a href="${p}/dead-letters?queue=${encodeURIComponent(queue)}&limit=${limit * 10}">show more</a>)` : ""}; listing leaves them in ${queue}.XQ.</p>`
}`;
}

/** One dead letter: its whole body, headers and traceback. */
export function deadLetterPage(context: PageContext, queue: string, detail: DeadLetterDetail): SafeHtml {
  const { letter } = detail;
  const id = letter.messageId ?? "";
  return html`<h1>Dead letter <code>${id}</code></h1>
<p><a href="${context.prefix}/dead-letters?queue=${encodeURIComponent(queue)}">← ${queue}.XQ</a></p>
${context.readOnly ? "" : html`<p>${actionForm(context, "/dead-letters/requeue", { queue, id }, "Requeue", "primary")} ${actionForm(context, "/dead-letters/delete", { queue, id }, "Delete…", "danger")}</p>`}
<table><tbody>
<tr><th>Actor</th><td>${letter.actor ?? "?"}</td></tr>
<tr><th>Call</th><td><code>${callSummary(letter, 400)}</code></td></tr>
<tr><th>Retries</th><td>${typeof letter.options.retries === "number" ? letter.options.retries : "-"}</td></tr>
<tr><th>Error</th><td class="bad">${errorSummary(letter) ?? ""}</td></tr>
<tr><th>Died</th><td>${letter.deaths.map((death) => html`<div>${death.reason} in ${death.queue} ×${death.count}${death.time ? ` at ${death.time}` : ""}</div>`)}</td></tr>
</tbody></table>
<h2>Body</h2><pre id="body">${pretty(detail.body)}</pre>
<h2>Headers</h2><pre id="headers">${JSON.stringify(detail.headers, null, 2)}</pre>
<h2>Traceback</h2>${detail.traceback === undefined ? html`<p class="muted">none on the message</p>` : html`<pre id="traceback">${detail.traceback}</pre>`}`;
}

/** The confirmation step of a delete or a purge. */
export function confirmPage(
  context: PageContext,
  action: "delete" | "purge",
  queue: string,
  id: string | undefined,
): SafeHtml {
  const what =
    action === "purge"
      ? html`Delete <strong>every</strong> dead-lettered message of <code>${queue}.XQ</code>?`
      : html`Delete the dead letter <code>${id}</code> of <code>${queue}.XQ</code>?`;
  return html`<h1>Confirm</h1><div class="card"><p>${what} This cannot be undone.</p>
<p>${actionForm(context, `/dead-letters/${action}`, { queue, ...(id === undefined ? {} : { id }), confirm: "yes" }, action === "purge" ? "Purge" : "Delete", "danger")}
<a href="${context.prefix}/dead-letters?queue=${encodeURIComponent(queue)}">Cancel</a></p></div>`;
}

// A JSON body indented; anything else as it is.
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
