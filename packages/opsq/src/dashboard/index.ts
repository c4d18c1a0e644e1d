/**
 * `opsq/dashboard`: the dashboard as a request handler or a server, and what panels need.
 *
 * @module
 */
export { Access, isLoopback } from "./access.js";
export type { RatePoint } from "./chart.js";
export { createDashboardHandler, type DashboardHandler } from "./handler.js";
export { escapeHtml, type HtmlValue, html, raw, SafeHtml } from "./html.js";
export { DASHBOARD_TOKEN_ENV, type DashboardOptions } from "./options.js";
export type { DashboardPanel, PanelActionResult, PanelRequest, PanelUpdate } from "./panel.js";
export {
  type DashboardPanelContext,
  type DashboardPanelFactory,
  PANEL_FACTORY_EXPORT,
} from "./panel-factory.js";
export { RabbitmqSource, type RabbitmqSourceOptions } from "./rabbitmq-source.js";
export { type DashboardServer, type DashboardServerOptions, startDashboard } from "./server.js";
export type { DashboardSource, DelayedRow, QueueRow, StatsOrigin } from "./source.js";
export type { WorkerFreshness, WorkerView } from "./worker-registry.js";
