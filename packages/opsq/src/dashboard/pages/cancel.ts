/**
 * The Cancel page: cancel messages by id in the configured cancellation store (as
 * `opsq cancel` does).
 *
 * @module
 */
import { html, type SafeHtml } from "../html.js";
import { csrfField, type PageContext } from "../layout.js";

/** The body of the Cancel page. */
export function cancelPage(context: PageContext): SafeHtml {
  return html`<h1>Cancel messages</h1>
<p class="note">A message still queued or delayed will not run; a running one has its signal aborted; none is retried. Workers need <code>--cancel-url</code> on the same table.</p>
${
  context.readOnly
    ? html`<p class="muted">Read-only: cancelling is turned off.</p>`
    : html`<form method="post" action="${context.prefix}/cancel" class="card">${csrfField(context)}
<label>Message ids (one per line or separated by spaces)<br><textarea name="ids" rows="4" required></textarea></label>
<p><button type="submit" class="danger">Cancel</button></p></form>`
}`;
}
