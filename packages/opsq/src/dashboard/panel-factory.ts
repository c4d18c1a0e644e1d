/**
 * The contract of a panel module: what `opsq dashboard --panel <module>` imports. The module
 * exports an async function named {@link PANEL_FACTORY_EXPORT} (`openDashboardPanel`) that
 * takes a {@link DashboardPanelContext} and returns a {@link DashboardPanel}. The dashboard
 * calls the panel's `close` when it closes.
 *
 * @example
 * // my-panel.ts, served by `opsq dashboard --panel ./my-panel.ts`
 * export async function openDashboardPanel({ databaseUrl, logger }: DashboardPanelContext) {
 *   return { id: "mine", title: "Mine", render: async () => html`<h1>Mine</h1>` };
 * }
 *
 * @module
 */
import type { Logger } from "../logger.js";
import type { DashboardPanel } from "./panel.js";

/** The name a panel module exports its {@link DashboardPanelFactory} under. */
export const PANEL_FACTORY_EXPORT = "openDashboardPanel";

/** What `opsq dashboard` hands a panel factory. */
export interface DashboardPanelContext {
  /** The RabbitMQ the dashboard shows (the first URL when `--broker-url` lists several nodes). */
  brokerUrl: string;
  /** PostgreSQL URL from `--database-url` (or `$DATABASE_URL`); undefined when none was given. */
  databaseUrl: string | undefined;
  /** Where the panel logs. */
  logger: Logger;
}

/**
 * Opens what the panel needs and returns it. Reject with a `RangeError` or `TypeError` for a
 * bad or missing setting (`opsq dashboard` exits 2), with anything else when a service cannot
 * be reached (it exits 3).
 */
export type DashboardPanelFactory = (context: DashboardPanelContext) => Promise<DashboardPanel>;
