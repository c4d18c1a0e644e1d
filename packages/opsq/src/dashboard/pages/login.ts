/**
 * The login page of a token-protected dashboard.
 *
 * @module
 */
import { html, type SafeHtml } from "../html.js";

/** A whole page asking for the token. */
export function loginPage(prefix: string, csrf: string, error: string | undefined): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in · opsq</title><link rel="stylesheet" href="${prefix}/assets/app.css"></head>
<body><main><div class="card"><h1>opsq dashboard</h1>
${error === undefined ? "" : html`<div class="flash error" role="alert">${error}</div>`}
<form method="post" action="${prefix}/login"><input type="hidden" name="_csrf" value="${csrf}">
<label>Token<br><input type="password" name="token" autocomplete="current-password" required autofocus></label>
<p><button type="submit" class="primary">Log in</button></p></form>
<p class="note">The token is the <code>OPSQ_DASHBOARD_TOKEN</code> the dashboard was started with.</p></div></main></body></html>`;
}
