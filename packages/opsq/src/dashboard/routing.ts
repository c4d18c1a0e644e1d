/**
 * What the dashboard's page and action routes share: its settings, required parameters, and
 * the routing of `/panels/<id>/…` to a panel.
 *
 * @module
 */
import type { Access } from "./access.js";
import { html } from "./html.js";
import type { PageContext } from "./layout.js";
import type { DashboardPanel, PanelRequest } from "./panel.js";
import type { DashboardRequest } from "./request.js";
import type { DashboardSource } from "./source.js";

/** The dashboard's settings, resolved from its options. */
export interface Settings {
  /** Longest a page or an action waits before answering 504. */
  requestTimeoutMs: number;
  /** Mount point for node:http and Fastify. */
  basePath: string;
  /** No action. */
  readOnly: boolean;
  /** Who may use it. */
  access: Access;
  /** Pages of other packages. */
  panels: readonly DashboardPanel[];
  /** Data and actions. */
  source: DashboardSource;
  /** Aborted when the open event streams must end (the dashboard closes). */
  streamsEnd: AbortSignal;
}

/** A panel addressed by `/panels/<id>/<rest>`. */
export interface PanelMatch {
  panel: DashboardPanel;
  /** The path below the panel's own. */
  rest: string;
}

/** The parameter's value. @throws RangeError when missing or empty */
export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === "") {
    throw new RangeError(`missing "${name}"`);
  }
  return value;
}

/** The panel `path` addresses, if any. */
export function findPanel(settings: Settings, path: string): PanelMatch | undefined {
  const match = /^\/panels\/([a-z0-9-]+)(\/.*)?$/.exec(path);
  const panel = match === null ? undefined : settings.panels.find((p) => p.id === match[1]);
  return panel === undefined ? undefined : { panel, rest: match?.[2] ?? "/" };
}

/** What a panel is given for a request. */
export function panelRequest(
  request: DashboardRequest,
  context: PageContext,
  found: PanelMatch,
): PanelRequest {
  return {
    path: found.rest,
    query: request.query,
    form: request.form,
    base: `${request.prefix}/panels/${found.panel.id}`,
    readOnly: context.readOnly,
    csrfField: html`<input type="hidden" name="_csrf" value="${context.csrf}">`,
  };
}
