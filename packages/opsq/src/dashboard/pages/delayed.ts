/**
 * The Delayed page: per queue, the messages waiting in `q.DQ`, those workers hold until their
 * eta, and when the next one is due.
 *
 * @module
 */
import { html, type SafeHtml } from "../html.js";
import { duration, type PageContext } from "../layout.js";
import type { DelayedRow } from "../source.js";

/** The body of the Delayed page. */
export function delayedPage(
  _context: PageContext,
  rows: readonly DelayedRow[],
  nowMs = Date.now(),
): SafeHtml {
  return html`<h1>Delayed messages</h1>
${
  rows.length === 0
    ? html`<p class="muted">No queue known yet.</p>`
    : html`<table id="delayed"><thead><tr><th>Queue</th><th class="n">Waiting in .DQ</th><th class="n">Held by workers</th><th>Next due</th></tr></thead><tbody>${rows.map(
        (
          row,
        ) => html`<tr data-queue="${row.queue}"><td>${row.queue}</td><td class="n">${row.waiting}</td><td class="n">${row.heldByWorkers}</td>
<td>${row.nextEtaMs === undefined ? html`<span class="muted">-</span>` : html`${new Date(row.nextEtaMs).toISOString()} <span class="muted">(${row.nextEtaMs <= nowMs ? "due now" : `in ${duration(row.nextEtaMs - nowMs)}`})</span>`}</td></tr>`,
      )}</tbody></table>`
}
<p class="note">Workers take delayed messages from .DQ and hold them until their eta (held: from their heartbeats; one held over 15 min is parked back in .DQ and may be counted in both). The next due time is the earliest of those held and of up to 1,000 messages read from .DQ.</p>`;
}
