/**
 * The panel factory `opsq dashboard --panel ops-core/dashboard` calls: the Agent tasks panel on
 * the dashboard's database and broker, with the rest of the configuration (`DATABASE_SCHEMA`,
 * `OPS_CORE_QUEUE`, …) read from the environment as the other commands read it.
 *
 * @module
 */
import type { DashboardPanel, DashboardPanelContext } from "opsq/dashboard";
import { loadConfig } from "../config.js";
import { openTasksPanel } from "./open-tasks-panel.js";

/**
 * Opens the Agent tasks panel for `opsq dashboard` (the `openDashboardPanel` contract of
 * `opsq/dashboard`).
 *
 * @throws RangeError when no database URL is given (`opsq dashboard` exits 2)
 * @throws {ConfigError} when another ops-core variable is invalid
 * @example
 * // opsq dashboard --database-url postgres://…/app --panel ops-core/dashboard
 */
export async function openDashboardPanel(context: DashboardPanelContext): Promise<DashboardPanel> {
  if (context.databaseUrl === undefined || context.databaseUrl === "") {
    throw new RangeError("the agent tasks panel needs --database-url (or DATABASE_URL)");
  }
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: context.databaseUrl,
    RABBITMQ_URL: context.brokerUrl,
  });
  return openTasksPanel({ config, logger: context.logger });
}
