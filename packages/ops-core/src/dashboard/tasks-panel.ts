/**
 * The Agent tasks panel of the opsq dashboard (`opsq/dashboard`'s `panels` option): the task
 * list with filters and the submit form at `/`, a task's page with its agent history at
 * `/task/<id>`, and the actions Submit, Cancel and Resubmit. Everything goes through one
 * {@link TaskApi} (the same as `ops-core serve`'s: `submitTask` with the outbox, the store,
 * `requestCancel`, `pollTaskStatus`), so the panel has no lifecycle of its own. Pages update
 * live by Server-Sent Events: a task's page at each status change, the list every few seconds.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  type DashboardPanel,
  html,
  type PanelRequest,
  type PanelUpdate,
  type SafeHtml,
} from "opsq/dashboard";
import { AGENT_TASK_TYPE } from "../agent-task-input.js";
import { describeError } from "../describe-error.js";
import { TaskNotFoundError } from "../errors.js";
import type { TaskApi } from "../http/task-api.js";
import type { SubmitTaskRequest } from "../submit-request.js";
import { listFilterOf, TASK_LIST_LIMIT, taskListPage, taskRows } from "./task-list-view.js";
import { taskPage, taskParts } from "./task-view.js";

/** The panel's id: it lives at `<dashboard>/panels/tasks`. */
export const TASKS_PANEL_ID = "tasks";

/** Options of {@link createTasksPanel}. */
export interface TasksPanelOptions {
  /** The tasks: `openTaskApi(…).api`, or a fake in tests. */
  api: TaskApi;
  /** How often the list's live updates read the page again. @default 2000 */
  listPollMs?: number;
  /** Releases what `api` holds, when the dashboard closes. */
  close?(): Promise<void>;
}

/** Builds the Agent tasks panel on `api`. */
export function createTasksPanel(options: TasksPanelOptions): DashboardPanel {
  const { api } = options;
  const listPollMs = options.listPollMs ?? 2_000;
  return {
    id: TASKS_PANEL_ID,
    title: "Agent tasks",
    async render(request) {
      try {
        const taskId = taskIdOf(request.path);
        if (taskId !== undefined) return taskPage(request, await api.get(taskId));
        if (request.path === "/") return taskListPage(request, await listPage(api, request));
        return html`<h1>Not found</h1><p>No page <code>${request.path}</code>.</p>`;
      } catch (error) {
        return failure(request, error);
      }
    },
    async *events(request, signal) {
      const taskId = taskIdOf(request.path);
      if (taskId !== undefined) {
        for await (const task of api.watch(taskId, signal)) yield taskParts(request, task);
        return;
      }
      let last = "";
      while (!signal.aborted && request.path === "/") {
        const rows = taskRows(request, (await listPage(api, request)).tasks);
        if (rows.text !== last) {
          last = rows.text;
          yield { "task-rows": rows } satisfies PanelUpdate;
        }
        await sleep(listPollMs, undefined, { signal }).catch(() => {});
      }
    },
    async act(request) {
      if (request.readOnly) throw new Error("the dashboard is read-only");
      const [, taskId, action] = /^\/task\/([^/]+)\/(cancel|resubmit)$/.exec(request.path) ?? [];
      if (request.path === "/submit") {
        const goal = (request.form.get("goal") ?? "").trim();
        const name = (request.form.get("name") ?? "").trim();
        if (goal === "") return { redirect: "/", flash: "refused: a goal is required" };
        return submitted(
          api,
          { taskType: AGENT_TASK_TYPE, inputData: { goal }, ...(name === "" ? {} : { name }) },
          "/",
        );
      }
      if (taskId === undefined) return { flash: `no action ${request.path}` };
      const id = decodeURIComponent(taskId);
      const back = `/task/${encodeURIComponent(id)}`;
      try {
        if (action === "cancel") {
          await api.cancel(id);
          return { redirect: back, flash: `cancelled ${id}` };
        }
        const task = await api.get(id);
        return submitted(
          api,
          {
            taskType: task.taskType,
            inputData: task.inputData,
            ...(task.name === null ? {} : { name: task.name }),
          },
          back,
          `resubmitted ${id} as`,
        );
      } catch (error) {
        return { redirect: back, flash: `refused: ${describeError(error)}` };
      }
    },
    close: options.close,
  };
}

/** Submits `request`; the redirect goes to the new task's page, or back to `back` on a refusal. */
async function submitted(api: TaskApi, request: SubmitTaskRequest, back: string, said = "submitted") {
  try {
    const { task } = await api.submit(request);
    return { redirect: `/task/${encodeURIComponent(task.taskId)}`, flash: `${said} ${task.taskId}` };
  } catch (error) {
    return { redirect: back, flash: `refused: ${describeError(error)}` };
  }
}

function listPage(api: TaskApi, request: PanelRequest) {
  const after = request.query.get("after");
  return api.list(
    listFilterOf(request.query),
    after === null || after === "" ? undefined : after,
    TASK_LIST_LIMIT,
  );
}

/** The task id of a task page's path (`/task/<id>`), decoded. */
function taskIdOf(path: string): string | undefined {
  const match = /^\/task\/([^/]+)$/.exec(path);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

function failure(request: PanelRequest, error: unknown): SafeHtml {
  const title = error instanceof TaskNotFoundError ? "Not found" : "Error";
  return html`<h1>${title}</h1><p class="bad" id="error">${describeError(error)}</p><p><a href="${request.base}/">← Agent tasks</a></p>`;
}
