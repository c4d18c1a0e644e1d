import { html, type PanelRequest } from "opsq/dashboard";
import { describe, expect, it } from "vitest";
import { createTasksPanel } from "../../../src/dashboard/tasks-panel.js";
import { fakeTaskApi } from "../http/fake-task-api.js";

const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>';

function request(path: string, options: Partial<PanelRequest> = {}): PanelRequest {
  return {
    path,
    query: new URLSearchParams(),
    form: new URLSearchParams(),
    base: "/panels/tasks",
    readOnly: false,
    csrfField: html`<input type="hidden" name="_csrf" value="t0k">`,
    ...options,
  };
}

describe("Agent tasks panel", () => {
  it("renders hostile goals, names, results and errors inert on the list and the task page", async () => {
    const api = fakeTaskApi();
    const { task } = await api.submit({
      taskType: "agent_task",
      name: HOSTILE,
      inputData: { goal: HOSTILE },
    });
    api.update(task.taskId, {
      status: "failed",
      errorMessage: HOSTILE,
      result: {
        answer: HOSTILE,
        steps: 1,
        usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
        toolCalls: [
          { step: 1, id: "c1", name: "echo", arguments: { text: HOSTILE }, ok: false, error: HOSTILE },
        ],
        history: [
          { role: "user", content: HOSTILE },
          { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "echo", arguments: HOSTILE }] },
        ],
      },
    });
    const panel = createTasksPanel({ api });
    for (const page of [
      await panel.render(request("/")),
      await panel.render(request(`/task/${task.taskId}`)),
    ]) {
      expect(page.text).not.toMatch(/<script|<img/i);
      expect(page.text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    }
    const taskPage = (await panel.render(request(`/task/${task.taskId}`))).text;
    expect(taskPage).toContain('id="task-tool-calls"');
    expect(taskPage).toContain("<th>total tokens</th><td>7</td>");
    // A finished task's page is not live.
    expect(taskPage).not.toContain("data-events");
  });

  it("submits from the form, then cancels and resubmits from the task's page", async () => {
    const api = fakeTaskApi();
    const panel = createTasksPanel({ api });
    const done = await panel.act?.(
      request("/submit", { form: new URLSearchParams({ goal: " What is 6 * 7? ", name: "six" }) }),
    );
    const id = api.tasks[0]?.taskId ?? "";
    expect(done?.redirect).toBe(`/task/${id}`);
    expect(api.tasks[0]?.inputData).toEqual({ goal: "What is 6 * 7?" });
    expect(api.tasks[0]?.name).toBe("six");
    const page = (await panel.render(request(`/task/${id}`))).text;
    expect(page).toContain("data-events");
    expect(page).toContain(`action="/panels/tasks/task/${id}/cancel"`);
    expect(page).toContain('name="_csrf"');

    expect((await panel.act?.(request(`/task/${id}/cancel`)))?.flash).toBe(`cancelled ${id}`);
    expect(api.tasks[0]?.status).toBe("cancelled");
    const again = await panel.act?.(request(`/task/${id}/cancel`));
    expect(again?.flash).toMatch(/^refused: .*already cancelled/);

    const resubmitted = await panel.act?.(request(`/task/${id}/resubmit`));
    expect(api.tasks).toHaveLength(2);
    expect(api.tasks[1]?.inputData).toEqual(api.tasks[0]?.inputData);
    expect(resubmitted?.redirect).toBe(`/task/${api.tasks[1]?.taskId}`);

    const empty = await panel.act?.(request("/submit", { form: new URLSearchParams({ goal: "  " }) }));
    expect(empty?.redirect).toBe("/");
    expect(empty?.flash).toMatch(/^refused: /);
  });

  it("hides and refuses the actions in read-only mode", async () => {
    const api = fakeTaskApi();
    const { task } = await api.submit({ taskType: "agent_task", inputData: { goal: "hi" } });
    const panel = createTasksPanel({ api });
    const list = (await panel.render(request("/", { readOnly: true }))).text;
    const page = (await panel.render(request(`/task/${task.taskId}`, { readOnly: true }))).text;
    for (const text of [list, page]) expect(text).not.toContain('method="post"');
    await expect(panel.act?.(request(`/task/${task.taskId}/cancel`, { readOnly: true }))).rejects.toThrow(
      /read-only/,
    );
    expect(api.tasks[0]?.status).toBe("pending");
  });

  it("filters the list and pages through it with a cursor", async () => {
    const api = fakeTaskApi();
    for (let i = 0; i < 30; i++)
      await api.submit({ taskType: "agent_task", inputData: { goal: `goal ${i}` } });
    api.update("task_1", { status: "failed" });
    const panel = createTasksPanel({ api });
    const first = (await panel.render(request("/"))).text;
    expect(first).toContain("goal 29");
    expect(first).not.toContain("goal 4<");
    const next = /id="next-page" href="([^"]+)"/.exec(first)?.[1]?.replaceAll("&amp;", "&") ?? "";
    const query = new URLSearchParams(next.split("?")[1]);
    const second = (await panel.render(request("/", { query }))).text;
    expect(second).toContain("goal 4<");
    expect(second).not.toContain("goal 29");
    const failed = (await panel.render(request("/", { query: new URLSearchParams({ status: "failed" }) })))
      .text;
    expect(failed.match(/<tr><td><a /g)).toHaveLength(1);
    const bad = (await panel.render(request("/", { query: new URLSearchParams({ created_after: "soon" }) })))
      .text;
    expect(bad).toContain("created_after must be an ISO-8601 instant");
  });

  it("streams a task's changes until it finishes", async () => {
    const api = fakeTaskApi();
    const { task } = await api.submit({ taskType: "agent_task", inputData: { goal: "hi" } });
    const panel = createTasksPanel({ api });
    const statuses: string[] = [];
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 5_000);
    setTimeout(() => api.update(task.taskId, { status: "running" }), 50);
    setTimeout(() => api.update(task.taskId, { status: "completed", result: { answer: "42" } }), 400);
    for await (const update of panel.events?.(request(`/task/${task.taskId}`), stop.signal) ?? []) {
      statuses.push(/data-status="(\w+)"/.exec(update["task-summary"]?.text ?? "")?.[1] ?? "?");
    }
    clearTimeout(timer);
    expect(statuses).toEqual(["pending", "running", "completed"]);
  });
});
