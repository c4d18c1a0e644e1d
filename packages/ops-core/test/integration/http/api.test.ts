/**
 * E2E of the HTTP API: `ops-core serve` and `opsq worker ops-core/actors` as real subprocesses
 * on the live PostgreSQL and RabbitMQ, the fake LLM answering — submit → events until completed
 * → GET with the result; list with a cursor; cancel; auth; 404/409/413/422; readiness; the
 * OpenAPI document.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eContext, openE2e, servicesAvailable } from "../../helpers/e2e.js";
import type { RecordedRequest } from "../../helpers/fake-llm.js";
import { type ServerProcess, spawnServer } from "../../helpers/server-process.js";
import { readEventStream } from "../../helpers/sse.js";
import { childEnv, OPS_CORE_CLI, REPO_ROOT } from "../../helpers/worker-process.js";

const available = await servicesAvailable();
const TOKEN = "test-token-9f2c";
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface TaskBody {
  task_id: string;
  status: string;
  result: unknown;
  error: string | null;
  [field: string]: unknown;
}

describe.runIf(available)("E2E: the HTTP API (ops-core serve)", () => {
  let e2e: E2eContext;
  let queue: string;
  let server: ServerProcess;
  const servers: ServerProcess[] = [];

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${server.baseUrl}${path}`, {
      ...init,
      headers: { ...AUTH, ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
  };
  const submit = (body: object, headers: Record<string, string> = {}) =>
    api("/api/v1/tasks", { method: "POST", body: JSON.stringify(body), headers });

  beforeAll(async () => {
    e2e = await openE2e();
    queue = (await e2e.producer()).queue;
    server = await spawnServer({ env: e2e.env(queue, { OPS_API_TOKEN: TOKEN }) });
    servers.push(server);
  });
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await e2e?.close();
  });

  it("submits a task, streams its statuses until completed, and returns its result", async () => {
    e2e.fake.reset();
    await e2e.worker(queue);
    const created = await submit({ task_type: "agent_task", input_data: { goal: "What is 6 * 7?" } });
    expect(created.status).toBe(201);
    const task = created.body as TaskBody;
    expect(task).toMatchObject({ status: "pending", result: null, error: null, task_type: "agent_task" });

    const stream = await readEventStream(`${server.baseUrl}/api/v1/tasks/${task.task_id}/events`, {
      headers: AUTH,
    });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe("text/event-stream; charset=utf-8");
    const statuses = stream.events.map((event) => (JSON.parse(event.data) as TaskBody).status);
    expect(stream.events.every((event) => event.event === "status")).toBe(true);
    // The first event is the status at connection time, then changes in lifecycle order (polled
    // every 250 ms, so a shorter status may be skipped); the stream ends with the terminal one.
    expect(statuses).toEqual(["pending", "running", "completed"].filter((s) => statuses.includes(s)));
    expect(statuses.at(-1)).toBe("completed");

    const got = await api(`/api/v1/tasks/${task.task_id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ task_id: task.task_id, status: "completed", attempts: 1, error: null });
    expect(JSON.stringify((got.body as TaskBody).result)).toContain("Fake answer to: What is 6 * 7?");
    expect(got.body!.completed_at).not.toBeNull();
    expect(e2e.fake.chatRequests()).toHaveLength(1);
  });

  it("pages the list with next_cursor and filters by status", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await submit({
        task_type: "agent_task",
        input_data: { goal: `page ${i}` },
        name: "paged",
      });
      ids.push((created.body as TaskBody).task_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await api(`/api/v1/tasks?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.status).toBe(200);
      const body = page.body as { tasks: TaskBody[]; next_cursor: string | null };
      expect(body.tasks.length).toBeLessThanOrEqual(2);
      seen.push(...body.tasks.map((t) => t.task_id));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first: the five just submitted lead, in reverse order of submission.
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    const completed = await api("/api/v1/tasks?status=completed&limit=100");
    const completedTasks = (completed.body as { tasks: TaskBody[] }).tasks;
    expect(completedTasks.length).toBeGreaterThan(0);
    expect(completedTasks.every((t) => t.status === "completed")).toBe(true);
    const none = await api(`/api/v1/tasks?created_after=${encodeURIComponent("2999-01-01T00:00:00Z")}`);
    expect(none.body).toEqual({ tasks: [], next_cursor: null });
  });

  it("cancels a running task (its LLM request aborted), then answers 409 for it and 404 for an unknown id", async () => {
    e2e.fake.reset();
    await e2e.worker(queue, { concurrency: 1 });
    const created = await submit({ task_type: "agent_task", input_data: { goal: "[[delay:30000]] hangs" } });
    const taskId = (created.body as TaskBody).task_id;
    const hanging = (requests: RecordedRequest[]) =>
      requests.find((request) => JSON.stringify(request.messages).includes("hangs"));
    await e2e.fake.waitFor((requests) => hanging(requests) !== undefined, 10_000);

    const cancelled = await api(`/api/v1/tasks/${taskId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ task_id: taskId, status: "cancelled", error: "Cancelled." });
    await e2e.fake.waitFor((requests) => hanging(requests)!.aborted === true, 10_000);

    const again = await api(`/api/v1/tasks/${taskId}/cancel`, { method: "POST" });
    expect(again).toEqual({
      status: 409,
      body: {
        error: {
          code: "conflict",
          message: `task ${taskId} is already cancelled: only a pending or running task can be cancelled`,
        },
      },
    });
    const unknown = await api("/api/v1/tasks/task_nope/cancel", { method: "POST" });
    expect(unknown).toEqual({
      status: 404,
      body: { error: { code: "not_found", message: 'task "task_nope" does not exist' } },
    });
    expect((await e2e.store.getTask(taskId)).status).toBe("cancelled");
  });

  it("needs the bearer token on /api routes, but not on /healthz and /readyz", async () => {
    const bare = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.baseUrl}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
    const without = await bare("/api/v1/tasks");
    expect(without.status).toBe(401);
    expect(await without.json()).toEqual({
      error: {
        code: "unauthorized",
        message: "missing or wrong bearer token (Authorization: Bearer <OPS_API_TOKEN>)",
      },
    });
    expect((await bare("/api/v1/tasks", { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await bare("/api/v1/tasks/task_x/events")).status).toBe(401);
    expect((await bare("/healthz")).status).toBe(200);
    const ready = await bare("/readyz");
    expect([ready.status, await ready.json()]).toEqual([
      200,
      { status: "ready", checks: { postgres: "ok", rabbitmq: "ok" } },
    ]);
  });

  it("is idempotent by task_id and Idempotency-Key, and answers 404/409/413/422/400 as JSON errors", async () => {
    const body = { task_type: "agent_task", input_data: { goal: "once" }, task_id: `job-${Date.now()}` };
    expect((await submit(body)).status).toBe(201);
    const again = await submit(body);
    expect([again.status, (again.body as TaskBody).task_id]).toEqual([200, body.task_id]);
    const different = await submit({ ...body, input_data: { goal: "twice" } });
    expect(different.status).toBe(409);
    expect(different.body).toEqual({
      error: { code: "conflict", message: `task "${body.task_id}" already exists with a different request` },
    });
    const key = `key-${Date.now()}`;
    const keyed = await submit(
      { task_type: "agent_task", input_data: { goal: "keyed" } },
      { "idempotency-key": key },
    );
    expect([keyed.status, (keyed.body as TaskBody).task_id]).toEqual([201, key]);
    const rekeyed = await submit(
      { task_type: "agent_task", input_data: { goal: "keyed" } },
      { "idempotency-key": key },
    );
    expect(rekeyed.status).toBe(200);

    expect(await api("/api/v1/tasks/task_missing")).toEqual({
      status: 404,
      body: { error: { code: "not_found", message: 'task "task_missing" does not exist' } },
    });
    const invalid = await submit({ task_type: "agent_task", input_data: {} });
    expect(invalid).toEqual({
      status: 422,
      body: {
        error: {
          code: "validation_failed",
          message: "input_data.goal: a non-empty goal (or prompt) string is required",
        },
      },
    });
    const misplaced = await submit({
      task_type: "agent_task",
      prompt: "top level",
      input_data: { goal: "g" },
    });
    expect(misplaced.body).toEqual({
      error: { code: "validation_failed", message: "prompt: unknown field" },
    });
    const tooBig = await submit({ task_type: "agent_task", input_data: { goal: "x".repeat(1_100_000) } });
    expect(tooBig.status).toBe(413);
    expect((tooBig.body as { error: { code: string } }).error.code).toBe("payload_too_large");
    const badJson = await api("/api/v1/tasks", { method: "POST", body: '{"task_type":' });
    expect(badJson.status).toBe(400);
    expect((badJson.body as { error: { code: string } }).error.code).toBe("bad_json");
    const rows = await e2e.store.pageTasks({ limit: 1000 });
    expect(rows.tasks.some((t) => JSON.stringify(t.inputData).includes("x".repeat(100)))).toBe(false);
  });

  it("serves an OpenAPI 3.1 document that lists the routes", async () => {
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    expect(response.headers.get("content-type")).toContain("application/json");
    const document = (await response.json()) as { openapi: string; paths: Record<string, object> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        "/api/v1/tasks",
        "/api/v1/tasks/{id}",
        "/api/v1/tasks/{id}/cancel",
        "/api/v1/tasks/{id}/events",
        "/healthz",
        "/readyz",
        "/openapi.json",
      ].sort(),
    );
  });

  it("answers /readyz 503 naming RabbitMQ when it is unreachable, without its URL or password", async () => {
    const down = await spawnServer({
      env: e2e.env(queue, { RABBITMQ_URL: "amqp://guest:hunter2@127.0.0.1:1" }),
    });
    servers.push(down);
    const ready = await fetch(`${down.baseUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const text = await ready.text();
    expect(ready.status).toBe(503);
    expect(JSON.parse(text)).toMatchObject({
      status: "unavailable",
      checks: { postgres: "ok" },
      error: { code: "unavailable", message: "not ready: rabbitmq down" },
    });
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("amqp://");
    expect((await down.stop()).code).toBe(0);
  });

  it("accepts a task while RabbitMQ is unreachable (201, pending, in the outbox), and a worker's relay runs it later", async () => {
    const down = await spawnServer({
      env: e2e.env(queue, { RABBITMQ_URL: "amqp://guest:guest@127.0.0.1:1", OPS_API_TOKEN: TOKEN }),
    });
    servers.push(down);
    const response = await fetch(`${down.baseUrl}/api/v1/tasks`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ task_type: "agent_task", input_data: { goal: "sent later" } }),
      signal: AbortSignal.timeout(20_000),
    });
    expect(response.status).toBe(201);
    const task = (await response.json()) as TaskBody;
    expect(task.status).toBe("pending");
    expect((await down.stop()).code).toBe(0);

    // A worker on the real RabbitMQ relays the outbox row (grace 0 here) and completes the task.
    await e2e.worker(queue, { env: { OPS_CORE_OUTBOX_GRACE_MS: "0", OPS_CORE_OUTBOX_INTERVAL_MS: "200" } });
    const deadline = Date.now() + 20_000;
    let status = "pending";
    while (Date.now() < deadline && status !== "completed") {
      status = ((await api(`/api/v1/tasks/${task.task_id}`)).body as TaskBody).status;
      if (status !== "completed") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe("completed");
  });

  it("refuses to listen beyond loopback without OPS_API_TOKEN, in one line, exit 2", async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [OPS_CORE_CLI, "serve", "--host", "0.0.0.0", "--port", "0"],
        { cwd: REPO_ROOT, env: childEnv(e2e.env(queue)), timeout: 20_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "ops-core: refusing to listen on 0.0.0.0 without OPS_API_TOKEN: set a token, or listen on 127.0.0.1\n",
    });
  });
});
