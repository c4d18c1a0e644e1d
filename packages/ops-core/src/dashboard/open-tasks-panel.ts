/**
 * The Agent tasks panel on the configured services: the same {@link openTaskApi} as
 * `ops-core serve` (store on `DATABASE_URL`, producer on `RABBITMQ_URL`, cancellation
 * backend, outbox relay), closed with the dashboard.
 *
 * @module
 */
import type { DashboardPanel } from "opsq/dashboard";
import type { OpsConfig } from "../config.js";
import { openTaskApi } from "../http/task-api-adapter.js";
import type { Logger } from "../logger.js";
import { createTasksPanel } from "./tasks-panel.js";

/** Options of {@link openTasksPanel}. */
export interface OpenTasksPanelOptions {
  /** The configuration (`DATABASE_URL` is required). */
  config: OpsConfig;
  /** Where warnings go. */
  logger: Logger;
  /** How often a watched task is read. @default 250 */
  pollMs?: number;
}

/**
 * Opens the services and returns the panel; `panel.close()` (called by the dashboard's
 * `close`) releases them.
 *
 * @throws {ConfigError} when `DATABASE_URL` is not set
 * @example
 * const panel = await openTasksPanel({ config: loadConfig(), logger });
 * await startDashboard({ panels: [panel] });
 */
export async function openTasksPanel(options: OpenTasksPanelOptions): Promise<DashboardPanel> {
  const opened = await openTaskApi(options);
  return createTasksPanel({ api: opened.api, close: () => opened.close() });
}
