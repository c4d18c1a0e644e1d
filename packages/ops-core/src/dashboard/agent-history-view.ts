/**
 * A task's agent history, as `execute-agent-task.ts` stores it in `result`: the answer, the
 * usage and steps, each tool call (arguments, output or error), and every message of the
 * conversation. Read defensively: a result of another shape is shown as JSON.
 *
 * @module
 */
import { html, type SafeHtml } from "opsq/dashboard";
import type { JsonValue, Task } from "../task.js";

type JsonRecord = { [key: string]: JsonValue };

/** The history part of a task's page. */
export function agentHistory(task: Task): SafeHtml {
  const result = task.result;
  if (result === null) {
    return html`<p class="muted">No result yet.</p>`;
  }
  if (!isRecord(result)) {
    return html`<h2>Result</h2><pre>${json(result)}</pre>`;
  }
  const answer = result.answer;
  return html`${typeof answer === "string" ? html`<h2>Answer</h2><pre id="task-answer">${answer}</pre>` : ""}
${typeof result.error === "string" ? html`<h2>Error</h2><pre class="bad">${result.error}</pre>` : ""}
${usage(result)}
${toolCalls(result.toolCalls)}
${messages(result.history)}
<details><summary>Raw result</summary><pre>${json(result)}</pre></details>`;
}

function usage(result: JsonRecord): SafeHtml {
  const usage = isRecord(result.usage) ? result.usage : {};
  const cells: [string, JsonValue | undefined][] = [
    ["outcome", result.outcome],
    ["steps", result.steps],
    ["model", result.model],
    ["prompt tokens", usage.promptTokens],
    ["completion tokens", usage.completionTokens],
    ["total tokens", usage.totalTokens],
  ];
  const shown = cells.filter(([, value]) => value !== undefined && value !== null);
  if (shown.length === 0) return html``;
  return html`<h2>Usage</h2><table id="task-usage"><tbody>${shown.map(
    ([name, value]) => html`<tr><th>${name}</th><td>${text(value)}</td></tr>`,
  )}</tbody></table>`;
}

function toolCalls(value: JsonValue | undefined): SafeHtml {
  if (!Array.isArray(value) || value.length === 0) return html``;
  return html`<h2>Tool calls</h2><table id="task-tool-calls"><thead><tr><th>step</th><th>tool</th><th>arguments</th><th>outcome</th></tr></thead><tbody>${value.map(
    (call) => {
      const c = isRecord(call) ? call : {};
      const outcome =
        c.ok === false ? html`<pre class="bad">${text(c.error)}</pre>` : html`<pre>${text(c.output)}</pre>`;
      return html`<tr><td class="n">${text(c.step)}</td><td><code>${text(c.name)}</code></td><td><pre>${json(c.arguments ?? null)}</pre></td><td>${outcome}</td></tr>`;
    },
  )}</tbody></table>`;
}

function messages(value: JsonValue | undefined): SafeHtml {
  if (!Array.isArray(value) || value.length === 0) return html``;
  return html`<h2>Messages</h2><ol id="task-messages" class="messages">${value.map((message) => {
    const m = isRecord(message) ? message : {};
    const calls = Array.isArray(m.toolCalls) ? m.toolCalls : [];
    return html`<li><strong>${text(m.role)}</strong>${typeof m.name === "string" ? html` <code>${m.name}</code>` : ""}
${m.content === null || m.content === undefined ? "" : html`<pre>${text(m.content)}</pre>`}${calls.map(
  (call) => html`<pre class="muted">calls ${json(call)}</pre>`,
)}</li>`;
  })}</ol>`;
}

function isRecord(value: JsonValue | undefined): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function json(value: JsonValue): string {
  return JSON.stringify(value, null, 2);
}
