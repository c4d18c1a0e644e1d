/**
 * The Queues page: each queue family with its counts, consumers and a rate chart, and where
 * the numbers come from.
 *
 * @module
 */
import { rate, rateChart } from "../chart.js";
import { html, type SafeHtml } from "../html.js";
import type { PageContext } from "../layout.js";
import type { QueueRow, StatsOrigin } from "../source.js";

/** The body of the Queues page. */
export function queuesPage(context: PageContext, rows: readonly QueueRow[], origin: StatsOrigin): SafeHtml {
  const p = context.prefix;
  const body =
    rows.length === 0
      ? html`<p class="muted">No queue known yet: start a worker (its heartbeat names its queues), or give <code>--queues</code>.</p>`
      : html`<table id="queues"><thead><tr><th>Queue</th><th class="n">Ready</th><th class="n">Delayed (.DQ)</th><th class="n">Dead-lettered (.XQ)</th><th class="n">Unacked</th><th class="n">Consumers</th><th>Rates <span class="legend"><span class="pub">published</span> / <span class="del">delivered</span> per second</span></th></tr></thead><tbody>
${rows.map((row) => {
  const last = row.rates.at(-1);
  return html`<tr data-queue="${row.queue}"><td><a href="${p}/dead-letters?queue=${encodeURIComponent(row.queue)}">${row.queue}</a>${row.exists ? "" : html` <span class="muted">(not declared)</span>`}</td>
<td class="n" data-col="ready">${row.ready}</td><td class="n" data-col="delayed">${row.delayed}</td>
<td class="n" data-col="dead-lettered">${row.deadLettered > 0 ? html`<a class="bad" href="${p}/dead-letters?queue=${encodeURIComponent(row.queue)}">${row.deadLettered}</a>` : "0"}</td>
<td class="n" data-col="unacked">${row.unacked ?? "-"}</td><td class="n" data-col="consumers">${row.consumers}</td>
<td>${rateChart(row.rates)} <span class="muted">${rate(last?.publishPerSec)} / ${rate(last?.deliverPerSec)}</span></td></tr>`;
})}</tbody></table>`;
  return html`<h1>Queues</h1>${body}
<p class="note" id="stats-source">Source: ${origin.detail}. Delayed messages workers hold until their eta are not in .DQ (see Delayed).</p>`;
}
