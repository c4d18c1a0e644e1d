/**
 * Panels: pages another package adds to the dashboard (ops-core's agent tasks, say), without
 * opsq knowing it. A panel renders HTML with {@link html} (which escapes what it
 * interpolates) and may handle POSTs, which reach it only after the token, CSRF and
 * read-only checks.
 *
 * @module
 */
import type { SafeHtml } from "./html.js";

/** What a panel is given to render a page or handle an action. */
export interface PanelRequest {
  /** The path below the panel's own (`/`, `/tasks/42`…). */
  path: string;
  /** The query string. */
  query: URLSearchParams;
  /** Form fields (POST only). */
  form: URLSearchParams;
  /** The panel's URL prefix, for links and form actions (`/ops/panels/tasks`). */
  base: string;
  /** True in read-only mode: render no action. */
  readOnly: boolean;
  /** Hidden field carrying the CSRF token: put it in every form that POSTs. */
  csrfField: SafeHtml;
}

/** What a panel's action asks for: a page to redirect to, with a one-line message. */
export interface PanelActionResult {
  /** Path below the panel's prefix. @default "/" */
  redirect?: string;
  /** Shown once on the next page. */
  flash?: string;
}

/**
 * One live update of a panel's page: the ids of elements on the page, each with its new
 * content (built with {@link html}, so escaped).
 */
export type PanelUpdate = Readonly<Record<string, SafeHtml>>;

/** A page added to the dashboard. */
export interface DashboardPanel {
  /** URL segment (`[a-z0-9-]+`): the panel lives at `<mount>/panels/<id>`. */
  id: string;
  /** Title in the navigation. */
  title: string;
  /** Refresh the page every few seconds, like the built-in ones. @default false */
  live?: boolean;
  /** Renders the body of a page (a GET). */
  render(request: PanelRequest): Promise<SafeHtml>;
  /**
   * Live updates of a page, sent as Server-Sent Events. A page asks for them with an element
   * carrying `data-events`: the dashboard's script then opens an `EventSource` on the page's
   * own URL, and each update replaces the content of the elements it names. When the iterable
   * ends, the browser stops listening; `signal` aborts when the client goes. Absent: no page
   * of the panel updates live this way.
   */
  events?(request: PanelRequest, signal: AbortSignal): AsyncIterable<PanelUpdate>;
  /** Handles a POST; absent: the panel has no action. */
  act?(request: PanelRequest): Promise<PanelActionResult>;
  /** Releases what the panel holds, when the dashboard closes. */
  close?(): Promise<void>;
}
