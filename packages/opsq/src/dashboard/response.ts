/**
 * How the dashboard answers: pages (with their security headers and cookies), assets,
 * redirects after an action (post/redirect/get) carrying a one-time message in a short-lived
 * cookie, and plain-text refusals. Each answers once: a page ready after its request timed out
 * is dropped.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import { describeError } from "../error-text.js";
import { redactUrl } from "../logger.js";
import type { SafeHtml } from "./html.js";
import type { PageContext } from "./layout.js";
import type { DashboardRequest } from "./request.js";

const FLASH_COOKIE = "opsq_dashboard_flash";

/** Content-Security-Policy of every page: only the package's own script and stylesheet. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** An error in one line, with any URL's password hidden. */
export function oneLine(error: unknown): string {
  return redactUrl(describeError(error, 500)).replace(/\s*\n\s*/g, " ");
}

/** The path the dashboard's cookies are scoped to. */
export function cookiePath(request: DashboardRequest): string {
  return request.prefix === "" ? "/" : request.prefix;
}

/** The one-time message left by the last action, cleared as it is shown. */
export function takeFlash(request: DashboardRequest): PageContext["flash"] {
  const value = request.cookies.get(FLASH_COOKIE);
  if (value === undefined || value === "") {
    return undefined;
  }
  request.setCookies.push(
    `${FLASH_COOKIE}=; Path=${cookiePath(request)}; HttpOnly; SameSite=Strict; Max-Age=0`,
  );
  return { text: value.slice(1), error: value.startsWith("!") };
}

/** A 303 to `to` (below the mount point), with a one-time message when given. */
export function redirect(
  res: ServerResponse,
  request: DashboardRequest,
  to: string,
  flash?: string,
  error = false,
) {
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

/** A whole HTML page, with its cookies and security headers. */
export function sendPage(res: ServerResponse, request: DashboardRequest, status: number, page: SafeHtml) {
  if (res.headersSent) {
    return;
  }
  res.setHeader("set-cookie", request.setCookies);
  res.setHeader("content-security-policy", CSP);
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "same-origin");
  send(res, status, "text/html; charset=utf-8", page.text);
}

/** A stylesheet or script of the package (cached 5 minutes). */
export function sendAsset(res: ServerResponse, type: string, body: string) {
  res.setHeader("cache-control", "public, max-age=300");
  send(res, 200, type, body);
}

/** A response, unless one was sent already. */
export function send(res: ServerResponse, status: number, type: string, body: string) {
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
