/**
 * The Workers page: the workers heard of through their heartbeats; one that stopped beating
 * fades out.
 *
 * @module
 */
import { html, type SafeHtml } from "../html.js";
import { duration, type PageContext } from "../layout.js";
import type { WorkerView } from "../worker-registry.js";

/** The body of the Workers page. */
export function workersPage(
  _context: PageContext,
  workers: readonly WorkerView[],
  nowMs = Date.now(),
): SafeHtml {
  return html`<h1>Workers</h1>
${
  workers.length === 0
    ? html`<p class="muted" id="no-workers">No worker heard of. Workers started with <code>opsq worker</code> publish a heartbeat every 5 s to the <code>opsq.workers</code> exchange.</p>`
    : html`<table id="workers"><thead><tr><th>Host</th><th class="n">PID</th><th>Queues</th><th class="n">Concurrency</th><th class="n">In flight</th><th class="n">Acked</th><th class="n">Failed</th><th class="n">Dead-lettered</th><th class="n">Delayed held</th><th>Uptime</th><th>Last beat</th></tr></thead><tbody>${workers.map(
        ({
          beat,
          ageMs,
          freshness,
        }) => html`<tr class="${freshness}" data-worker="${beat.worker}"><td>${beat.host}</td><td class="n">${beat.pid}</td><td>${beat.queues.join(", ")}</td>
<td class="n">${beat.concurrency}</td><td class="n">${beat.inFlight}</td><td class="n">${beat.acked}</td><td class="n">${beat.failed}</td><td class="n">${beat.deadLettered}</td><td class="n">${beat.delayedHeld}</td>
<td>${duration(nowMs - beat.startedAtMs)}</td><td>${duration(ageMs)} ago${freshness === "live" ? "" : html` <span class="muted">(${freshness})</span>`}</td></tr>`,
      )}</tbody></table>`
}`;
}
