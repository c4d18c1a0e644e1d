/**
 * The HTTP server on a fake TaskApi (Fastify's `inject`, and a real socket for the event
 * stream): status codes, snake_case bodies, auth, limits, the error shape, readiness, and an
 * OpenAPI document that lists every route.
 */
import { afterEach, describe, expect, it } from "vitest";
import { buildServer, type ServerOptions } from "../../../src/http/server.js";
import { type FakeTaskApi, fakeTaskApi } from "./fake-task-api.js";

const GOAL = { task_type: "agent_task", input_data: { goal: "What is 6 * 7?" } };

let closeAfter: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await closeAfter?.();
  closeAfter = undefined;
});

function serve(options: Partial<ServerOptions> = {}): {
  app: ReturnType<typeof buildServer>;
  api: FakeTaskApi;
} {
  const api = fakeTaskApi();
  const app = buildServer({ api, ...options });
  closeAfter = () => app.close();
  return { app, api };
}

describe("HTTP server: tasks", () => {
  it("creates a task (201, snake_case, result and error fields), then returns it by id", async () => {
    const { app } = serve();
    const created = await app.inject({ method: "POST", url: "/api/v1/tasks", payload: GOAL });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      task_id: "task_1",
      task_type: "agent_task",
      status: "pending",
      input_data: { goal: "What is 6 * 7?" },
      result: null,
      error: null,
      name: null,
    });
    expect(Object.keys(body)).not.toContain("taskId");
    const got = await app.inject({ url: "/api/v1/tasks/task_1" });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(body);
  });

  it("is idempotent with task_id or Idempotency-Key: 200 for the same request, 409 for another", async () => {
    const { app } = serve();
    const post = (payload: object, headers: Record<string, string> = {}) =>
      app.inject({ method: "POST", url: "/api/v1/tasks", payload, headers });
    expect((await post({ ...GOAL, task_id: "job-1" })).statusCode).toBe(201);
    expect((await post({ ...GOAL, task_id: "job-1" })).statusCode).toBe(200);
    const other = await post({ ...GOAL, task_id: "job-1", input_data: { goal: "else" } });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({
      error: { code: "conflict", message: 'task "job-1" already exists with a different request' },
    });
    const keyed = await post(GOAL, { "idempotency-key": "k-7" });
    expect([keyed.statusCode, keyed.json().task_id]).toEqual([201, "k-7"]);
    expect((await post(GOAL, { "idempotency-key": "k-7" })).statusCode).toBe(200);
    const both = await post({ ...GOAL, task_id: "x" }, { "idempotency-key": "k-7" });
    expect(both.statusCode).toBe(422);
    expect(both.json().error.message).toBe("Idempotency-Key: differs from task_id in the body (send one)");
  });

  it.each([
    [
      { task_type: "agent_task", input_data: {} },
      "input_data.goal: a non-empty goal (or prompt) string is required",
    ],
    [
      { task_type: "agent_run", input_data: { goal: "g" } },
      'task_type: unknown task type "agent_run" (known: agent_task)',
    ],
    [{ ...GOAL, prompt: "top level" }, "prompt: unknown field"],
    [{ taskType: "agent_task", inputData: { goal: "g" } }, "taskType: unknown field"],
    [{ input_data: { goal: "g" } }, "task_type: required"],
    [{ ...GOAL, task_id: "has space" }, 'task_id: use 1 to 128 letters, digits, "_", ".", ":" or "-"'],
    [[1, 2], "request: Invalid input: expected object, received array"],
  ])("answers 422 naming the field for %j", async (payload, message) => {
    const { app, api } = serve();
    const response = await app.inject({ method: "POST", url: "/api/v1/tasks", payload });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({ error: { code: "validation_failed", message } });
    expect(api.tasks).toEqual([]);
  });

  it("answers 400 for bad JSON, 413 for a body over the limit and 415 for another media type", async () => {
    const { app } = serve({ bodyLimitBytes: 1024 });
    const bad = await app.inject({
      method: "POST",
      url: "/api/v1/tasks",
      headers: { "content-type": "application/json" },
      payload: '{"task_type":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("bad_json");
    const big = await app.inject({
      method: "POST",
      url: "/api/v1/tasks",
      payload: { ...GOAL, input_data: { goal: "x".repeat(2000) } },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("payload_too_large");
    const poisoned = await app.inject({
      method: "POST",
      url: "/api/v1/tasks",
      headers: { "content-type": "application/json" },
      payload: '{"task_type":"agent_task","__proto__":{"x":1}}',
    });
    expect([poisoned.statusCode, poisoned.json().error]).toEqual([
      400,
      { code: "bad_json", message: "Body is not valid JSON but content-type is set to 'application/json'" },
    ]);
    const empty = await app.inject({
      method: "POST",
      url: "/api/v1/tasks",
      headers: { "content-type": "application/json" },
    });
    expect(empty.json()).toEqual({ error: { code: "validation_failed", message: "request: required" } });
    const text = await app.inject({
      method: "POST",
      url: "/api/v1/tasks",
      headers: { "content-type": "text/plain" },
      payload: "goal",
    });
    expect([text.statusCode, text.json().error.code]).toEqual([415, "unsupported_media_type"]);
  });

  it("pages the list with an opaque cursor, and rejects a limit over 100 or a forged cursor", async () => {
    const { app } = serve();
    for (let i = 0; i < 5; i++) await app.inject({ method: "POST", url: "/api/v1/tasks", payload: GOAL });
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await app.inject({
        url: `/api/v1/tasks?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      });
      expect(page.statusCode).toBe(200);
      const body = page.json() as { tasks: { task_id: string }[]; next_cursor: string | null };
      ids.push(...body.tasks.map((task) => task.task_id));
      cursor = body.next_cursor;
    } while (cursor !== null);
    expect(ids).toEqual(["task_5", "task_4", "task_3", "task_2", "task_1"]);
    expect((await app.inject({ url: "/api/v1/tasks" })).json().tasks).toHaveLength(5);
    const tooMany = await app.inject({ url: "/api/v1/tasks?limit=101" });
    expect([tooMany.statusCode, tooMany.json().error.message]).toEqual([
      422,
      "limit: Too big: expected number to be <=100",
    ]);
    const forged = await app.inject({ url: "/api/v1/tasks?cursor=abc" });
    expect(forged.json()).toEqual({
      error: { code: "validation_failed", message: "cursor: not a cursor this API returned" },
    });
    expect((await app.inject({ url: "/api/v1/tasks?status=bogus" })).statusCode).toBe(422);
    expect((await app.inject({ url: "/api/v1/tasks?sort=asc" })).json().error.message).toBe(
      "sort: unknown parameter",
    );
  });

  it("cancels a pending task (200), refuses a finished one (409) and an unknown one (404)", async () => {
    const { app, api } = serve();
    await app.inject({ method: "POST", url: "/api/v1/tasks", payload: GOAL });
    const cancelled = await app.inject({ method: "POST", url: "/api/v1/tasks/task_1/cancel" });
    expect([cancelled.statusCode, cancelled.json().status]).toEqual([200, "cancelled"]);
    const again = await app.inject({
      method: "POST",
      url: "/api/v1/tasks/task_1/cancel",
      headers: { "content-type": "application/json" }, // and no body
    });
    expect([again.statusCode, again.json().error.code]).toEqual([409, "conflict"]);
    const unknown = await app.inject({ method: "POST", url: "/api/v1/tasks/nope/cancel" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: "not_found", message: 'task "nope" does not exist' } });
    expect(api.tasks[0]!.status).toBe("cancelled");
  });

  it("answers an unknown route with a JSON 404, and an unexpected failure with a 500 that hides it", async () => {
    const logged: unknown[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (details: object) => logged.push(details) };
    const { app, api } = serve({ logger });
    api.get = async () => {
      throw new Error("relation secret_table at postgres://u:pw@db does not exist");
    };
    expect((await app.inject({ url: "/nowhere" })).json()).toEqual({
      error: { code: "not_found", message: "no route GET /nowhere" },
    });
    const failed = await app.inject({ url: "/api/v1/tasks/task_1" });
    expect(failed.statusCode).toBe(500);
    expect(failed.body).toBe(
      '{"error":{"code":"internal_error","message":"internal error (see the server\'s log)"}}',
    );
    expect(logged).toHaveLength(1);
  });
});

describe("HTTP server: auth", () => {
  it("needs the bearer token on every /api route when one is set, but not on /healthz", async () => {
    const { app } = serve({ apiToken: "s3cret-token" });
    const without = await app.inject({ url: "/api/v1/tasks" });
    expect(without.statusCode).toBe(401);
    expect(without.headers["www-authenticate"]).toBe('Bearer realm="ops-core"');
    expect(without.json().error.code).toBe("unauthorized");
    const wrong = await app.inject({
      url: "/api/v1/tasks",
      headers: { authorization: "Bearer s3cret-tokex" },
    });
    expect(wrong.statusCode).toBe(401);
    const post = await app.inject({ method: "POST", url: "/api/v1/tasks", payload: GOAL });
    expect(post.statusCode).toBe(401);
    const right = await app.inject({
      url: "/api/v1/tasks",
      headers: { authorization: "Bearer s3cret-token" },
    });
    expect(right.statusCode).toBe(200);
    expect((await app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await app.inject({ url: "/openapi.json" })).statusCode).toBe(200);
  });
});

describe("HTTP server: readiness", () => {
  it("is ready when every check passes, and 503 naming what is down (late or failed) otherwise", async () => {
    const { app } = serve({
      readinessTimeoutMs: 100,
      readiness: [
        { name: "postgres", check: async () => {} },
        { name: "rabbitmq", check: () => new Promise(() => {}) },
        {
          name: "other",
          check: async () => {
            throw new Error("cannot connect to amqp://guest:guest@10.0.0.1:5672: refused");
          },
        },
      ],
    });
    const response = await app.inject({ url: "/readyz" });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: "unavailable",
      checks: {
        postgres: "ok",
        rabbitmq: "down: no answer within 100 ms",
        other: "down: cannot connect to <url> refused",
      },
      error: { code: "unavailable", message: "not ready: rabbitmq, other down" },
    });
    expect(response.body).not.toContain("guest");
    const fine = serve({ readiness: [{ name: "postgres", check: async () => {} }] });
    expect((await fine.app.inject({ url: "/readyz" })).json()).toEqual({
      status: "ready",
      checks: { postgres: "ok" },
    });
  });
});

describe("HTTP server: OpenAPI", () => {
  it("documents every route it serves, as OpenAPI 3.1 generated from the schemas", async () => {
    const api = fakeTaskApi();
    const app = buildServer({ api, version: "9.9.9" });
    closeAfter = () => app.close();
    await app.ready();
    const document = (await app.inject({ url: "/openapi.json" })).json();
    expect(document).toMatchObject({ openapi: "3.1.0", info: { title: "ops-core", version: "9.9.9" } });
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /api/v1/tasks",
        "POST /api/v1/tasks",
        "GET /api/v1/tasks/{id}",
        "POST /api/v1/tasks/{id}/cancel",
        "GET /api/v1/tasks/{id}/events",
        "GET /healthz",
        "GET /readyz",
        "GET /openapi.json",
      ].sort(),
    );
    for (const operation of operations) {
      const [method, path] = operation.split(" ");
      const route = path!.replace(/\{(\w+)\}/g, ":$1");
      expect(app.hasRoute({ method: method as "GET", url: route }), operation).toBe(true);
    }
    expect(document.components.schemas.CreateTask).toMatchObject({
      type: "object",
      required: ["task_type", "input_data"],
      additionalProperties: false,
    });
    expect(document.components.schemas.Task.properties).toHaveProperty("result");
    const listParameters = document.paths["/api/v1/tasks"].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(listParameters).toEqual([
      "status",
      "task_type",
      "created_after",
      "created_before",
      "limit",
      "cursor",
    ]);
  });
});

describe("HTTP server: events", () => {
  it("streams the status now and each change until the task ends, then closes; 404 before streaming", async () => {
    const { app, api } = serve({ heartbeatMs: 20 });
    await app.inject({ method: "POST", url: "/api/v1/tasks", payload: GOAL });
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    const missing = await fetch(`${address}/api/v1/tasks/nope/events`);
    const missingBody = (await missing.json()) as { error: { code: string } };
    expect([missing.status, missingBody.error.code]).toEqual([404, "not_found"]);

    const response = await fetch(`${address}/api/v1/tasks/task_1/events`, {
      signal: AbortSignal.timeout(5_000),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
      }
    };
    await readUntil(/"status":"pending"/);
    await readUntil(/: heartbeat/);
    api.update("task_1", { status: "running" });
    await readUntil(/"status":"running"/);
    api.update("task_1", { status: "completed", result: { answer: "42" } });
    await readUntil(/$^/); // to the end of the stream
    const events = text
      .split("\n\n")
      .filter((block) => block.startsWith("event: status"))
      .map((block) => JSON.parse(block.split("\ndata: ")[1]!) as { status: string; result: unknown });
    expect(events.map((event) => event.status)).toEqual(["pending", "running", "completed"]);
    expect(events[2]!.result).toEqual({ answer: "42" });
  });

  it("ends an open stream when the server closes", async () => {
    const { app } = serve();
    await app.inject({ method: "POST", url: "/api/v1/tasks", payload: GOAL });
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    const response = await fetch(`${address}/api/v1/tasks/task_1/events`, {
      signal: AbortSignal.timeout(5_000),
    });
    const reader = response.body!.getReader();
    await reader.read(); // the stream is open
    const closing = app.close();
    let done = false;
    while (!done) done = (await reader.read().catch(() => ({ done: true }))).done;
    await closing;
    expect(done).toBe(true);
  });
});
