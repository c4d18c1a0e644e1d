/**
 * The Agent tasks panel's list page: filters (status, type, created after/before), the
 * submit form, and one page of tasks, newest first, with a link to the next page (keyset
 * pages of `TaskStore.pageTasks`, through {@link TaskApi.list}).
 *
 * @module
 */
import { html, type PanelRequest, type SafeHtml } from "opsq/dashboard";
import type { TaskListFilter, TaskListPage } from "../http/task-api.js";
import { TASK_STATUSES, type Task, type TaskStatus } from "../task.js";
import { statusBadge } from "./task-view.js";

/** Tasks per list page. */
export const TASK_LIST_LIMIT = 25;

/** The filters of the list page, read from its query string (bad values are refused). */
export function listFilterOf(query: URLSearchParams): TaskListFilter {
  const filter: TaskListFilter = {};
  const status = query.get("status") ?? "";
  if (status !== "") {
    if (!(TASK_STATUSES as readonly string[]).includes(status)) {
      throw new RangeError(`status must be one of ${TASK_STATUSES.join(", ")}, got "${status}"`);
    }
    filter.status = status as TaskStatus;
  }
  const type = (query.get("type") ?? "").trim();
  if (type !== "") filter.taskType = type;
  const after = instant(query.get("created_after"), "created_after");
  if (after !== undefined) filter.createdAfter = after;
  const before = instant(query.get("created_before"), "created_before");
  if (before !== undefined) filter.createdBefore = before;
  return filter;
}

/** An ISO-8601 instant; one without a zone (as `datetime-local` gives it) is read as UTC. */
function instant(value: string | null, name: string): string | undefined {
  const text = (value ?? "").trim();
  if (text === "") return undefined;
  const zoned = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  if (Number.isNaN(Date.parse(zoned)))
    throw new RangeError(`${name} must be an ISO-8601 instant, got "${text}"`);
  return new Date(zoned).toISOString();
}

/** The table body of a page of tasks (also what the list's live updates replace). */
export function taskRows(request: PanelRequest, tasks: readonly Task[]): SafeHtml {
  if (tasks.length === 0) return html`<tr><td colspan="5" class="muted">No task.</td></tr>`;
  return html`${tasks.map(
    (task) =>
      html`<tr><td><a href="${request.base}/task/${encodeURIComponent(task.taskId)}">${task.name ?? task.taskId}</a></td><td>${statusBadge(task.status)}</td><td>${task.taskType}</td><td class="goal">${goalOf(task)}</td><td>${task.createdAt}</td></tr>`,
  )}`;
}

/** The whole list page. */
export function taskListPage(request: PanelRequest, page: TaskListPage): SafeHtml {
  const q = request.query;
  const value = (name: string) => q.get(name) ?? "";
  const next = new URLSearchParams(q);
  next.delete("after");
  if (page.nextAfterTaskId !== null) next.set("after", page.nextAfterTaskId);
  return html`<h1>Agent tasks</h1>
${request.readOnly ? "" : submitForm(request)}
<form method="get" action="${request.base}/" id="task-filters" class="filters">
<label>status <select name="status"><option value="">any</option>${TASK_STATUSES.map(
    (status) =>
      html`<option value="${status}"${status === value("status") ? html` selected` : ""}>${status}</option>`,
  )}</select></label>
<label>type <input type="text" name="type" value="${value("type")}" size="12"></label>
<label>created after <input type="text" name="created_after" value="${value("created_after")}" placeholder="2026-12-01T00:00Z" size="18"></label>
<label>created before <input type="text" name="created_before" value="${value("created_before")}" placeholder="UTC if no zone" size="18"></label>
<button type="submit">Filter</button></form>
<table id="tasks" data-events><thead><tr><th>task</th><th>status</th><th>type</th><th>goal</th><th>created</th></tr></thead>
<tbody id="task-rows">${taskRows(request, page.tasks)}</tbody></table>
<p>${value("after") === "" ? "" : html`<a href="${request.base}/?${withoutAfter(q)}">← first page</a> `}${
    page.nextAfterTaskId === null
      ? ""
      : html`<a id="next-page" href="${request.base}/?${next.toString()}">next page →</a>`
  }</p>`;
}

function submitForm(request: PanelRequest): SafeHtml {
  return html`<form method="post" action="${request.base}/submit" id="submit-task" class="card">${request.csrfField}
<h2>Submit a task</h2>
<p><label>goal<br><textarea name="goal" rows="3" required></textarea></label></p>
<p><label>name (optional) <input type="text" name="name"></label> <button type="submit" class="primary">Submit</button></p></form>`;
}

function withoutAfter(query: URLSearchParams): string {
  const copy = new URLSearchParams(query);
  copy.delete("after");
  return copy.toString();
}

/** The goal of an agent task, shortened for a table cell. */
function goalOf(task: Task): string {
  const goal = task.inputData.goal;
  const text = typeof goal === "string" ? goal : JSON.stringify(task.inputData);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
