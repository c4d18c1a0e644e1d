/**
 * The Agent tasks panel's task page: the task's status and timings, its actions (Cancel,
 * Resubmit), its input, and its agent history. The parts that change are elements with ids,
 * so the page's live updates replace them as the task moves on.
 *
 * @module
 */
import { html, type PanelRequest, type PanelUpdate, type SafeHtml } from "opsq/dashboard";
import { isTerminalStatus, type Task, type TaskStatus } from "../task.js";
import { agentHistory } from "./agent-history-view.js";

/** A task's status, coloured. */
export function statusBadge(status: TaskStatus): SafeHtml {
  const kind =
    status === "completed" ? "ok" : status === "failed" ? "bad" : status === "cancelled" ? "muted" : "";
  return html`<span class="status ${kind}" data-status="${status}">${status}</span>`;
}

/** The parts of a task's page that change while it runs, by element id. */
export function taskParts(request: PanelRequest, task: Task): PanelUpdate {
  return {
    "task-summary": summary(task),
    "task-actions": actions(request, task),
    "task-history": agentHistory(task),
  };
}

/** A task's whole page; live (Server-Sent Events) until the task has finished. */
export function taskPage(request: PanelRequest, task: Task): SafeHtml {
  const parts = taskParts(request, task);
  const live = isTerminalStatus(task.status) ? "" : html` data-events`;
  return html`<p><a href="${request.base}/">← Agent tasks</a></p>
<h1>Task <code>${task.taskId}</code>${task.name === null ? "" : html` · ${task.name}`}</h1>
<div id="task-summary"${live}>${parts["task-summary"]}</div>
<div id="task-actions">${parts["task-actions"]}</div>
<h2>Input</h2><pre id="task-input">${JSON.stringify(task.inputData, null, 2)}</pre>
<div id="task-history">${parts["task-history"]}</div>`;
}

function summary(task: Task): SafeHtml {
  const rows: [string, SafeHtml | string | number][] = [
    ["status", statusBadge(task.status)],
    ["type", task.taskType],
    ["created", task.createdAt],
    ["started", task.startedAt ?? "—"],
    ["finished", task.completedAt ?? "—"],
    ["waited", between(task.createdAt, task.startedAt)],
    ["ran", between(task.startedAt, task.completedAt)],
    ["attempts", task.attempts],
    ["worker", task.workerId ?? "—"],
  ];
  return html`<table class="summary"><tbody>${rows.map(
    ([name, value]) => html`<tr><th>${name}</th><td>${value}</td></tr>`,
  )}</tbody></table>${
    task.errorMessage === null ? "" : html`<p class="bad" id="task-error">${task.errorMessage}</p>`
  }`;
}

function actions(request: PanelRequest, task: Task): SafeHtml {
  if (request.readOnly) return html``;
  const path = `${request.base}/task/${encodeURIComponent(task.taskId)}`;
  const form = (action: string, label: string, kind: string) =>
    html`<form class="inline" method="post" action="${path}/${action}">${request.csrfField}<button type="submit" class="${kind}" id="${action}">${label}</button></form> `;
  return html`<p>${isTerminalStatus(task.status) ? "" : form("cancel", "Cancel", "danger")}${form("resubmit", "Resubmit", "plain")}</p>`;
}

/** `1.234 s` between two instants, `—` when either is missing. */
function between(from: string | null, to: string | null): string {
  if (from === null || to === null) return "—";
  return `${((Date.parse(to) - Date.parse(from)) / 1_000).toFixed(3)} s`;
}
