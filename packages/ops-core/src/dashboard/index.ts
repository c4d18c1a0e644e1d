/**
 * `ops-core/dashboard`: the Agent tasks panel for opsq's dashboard (`opsq/dashboard`).
 *
 * @module
 */
export { openDashboardPanel } from "./open-dashboard-panel.js";
export { type OpenTasksPanelOptions, openTasksPanel } from "./open-tasks-panel.js";
export { createTasksPanel, TASKS_PANEL_ID, type TasksPanelOptions } from "./tasks-panel.js";
