/**
 * The HTTP API on Fastify: routes, bearer auth, body limit and JSON errors, on top of an
 * injected {@link TaskApi} (no store, broker or lifecycle of its own).
 *
 * | route | answer |
 * |---|---|
 * | `POST /api/v1/tasks` | 201 task; 200 when the same request came before with that id; 409 / 413 / 422 |
 * | `GET /api/v1/tasks` | `{ tasks, next_cursor }`, filters `status`, `task_type`, `created_after`, `created_before`, `limit` ≤ 100, `cursor` |
 * | `GET /api/v1/tasks/{id}` | the task with `result`; 404 |
 * | `POST /api/v1/tasks/{id}/cancel` | 200 task; 404; 409 when finished |
 * | `GET /api/v1/tasks/{id}/events` | Server-Sent Events until the task ends |
 * | `GET /healthz`, `GET /readyz`, `GET /openapi.json` | no auth |
 *
 * Loads Fastify: import this module lazily from the CLI.
 *
 * @module
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "../logger.js";
import type { Task } from "../task.js";
import { ApiError, toErrorReply } from "./api-error.js";
import { bearerTokenMatches } from "./bearer-auth.js";
import { IDEMPOTENCY_KEY_HEADER, toSubmitRequest } from "./create-task-body.js";
import { parseListTasksQuery } from "./list-tasks-query.js";
import { buildOpenApiDocument } from "./openapi-document.js";
import { checkReadiness, DEFAULT_READINESS_TIMEOUT_MS, type ReadinessCheck } from "./readiness.js";
import type { TaskApi } from "./task-api.js";
import { toTaskBody } from "./task-body.js";
import { encodeTaskCursor } from "./task-cursor.js";
import { streamTaskEvents } from "./task-event-stream.js";

/** Largest request body by default (1 MiB). */
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;

/** Options of {@link buildServer}. */
export interface ServerOptions {
  /** What the routes do. */
  api: TaskApi;
  /** Checked by `/readyz`. @default [] */
  readiness?: readonly ReadinessCheck[];
  /** When set, every `/api` route needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string | undefined;
  /** Largest request body; a larger one gets 413. @default 1048576 */
  bodyLimitBytes?: number;
  /** Longest wait for one readiness check. @default 2000 */
  readinessTimeoutMs?: number;
  /** Time between SSE heartbeat comments. @default 15000 */
  heartbeatMs?: number;
  /** Longest life of one SSE stream. @default 3600000 */
  maxStreamMs?: number;
  /** Shown in the OpenAPI document. @default "0.0.0" */
  version?: string;
  /** Where unexpected failures are logged (never sent to the client). */
  logger?: Logger;
}

/**
 * Builds the server (not yet listening: call `listen`, or `inject` in tests). Closing it ends
 * the open event streams.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { api, apiToken, logger } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  // JSON only: a text/plain body gets 415, not a confusing 422.
  app.removeContentTypeParser("text/plain");
  // Fastify's JSON parser (prototype-poisoning checks kept), but an empty body is no body: a
  // client that sends `Content-Type: application/json` with every POST can still cancel.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text === "") done(null, undefined);
    else parseJson(request, text, done);
  });
  const streams = new Set<AbortController>();
  const document = buildOpenApiDocument(options.version ?? "0.0.0");
  const logUnexpected = (error: unknown, route: string) =>
    logger?.error({ err: error, route }, "request failed unexpectedly");

  app.addHook("preClose", async () => {
    for (const stream of streams) stream.abort();
  });

  app.setErrorHandler((error, request, reply) => {
    const answer = toErrorReply(error);
    if (answer.unexpected) logUnexpected(error, request.routeOptions.url ?? request.url);
    void reply.code(answer.statusCode).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: { code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` },
    });
  });

  app.addHook("onRequest", async (request, reply) => {
    if (apiToken === undefined || !request.url.startsWith("/api/")) return;
    if (bearerTokenMatches(request.headers.authorization, apiToken)) return;
    void reply.header("www-authenticate", 'Bearer realm="ops-core"');
    throw new ApiError(
      401,
      "unauthorized",
      "missing or wrong bearer token (Authorization: Bearer <OPS_API_TOKEN>)",
    );
  });

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const report = await checkReadiness(
      options.readiness ?? [],
      options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
    );
    if (report.ready) return { status: "ready", checks: report.checks };
    return reply.code(503).send({
      status: "unavailable",
      checks: report.checks,
      error: { code: "unavailable", message: `not ready: ${report.down.join(", ")} down` },
    });
  });

  app.get("/openapi.json", async () => document);

  app.post("/api/v1/tasks", async (request, reply) => {
    const key = request.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
    if (Array.isArray(key))
      throw new ApiError(422, "validation_failed", `${IDEMPOTENCY_KEY_HEADER}: give one`);
    const outcome = await api.submit(toSubmitRequest(request.body, key));
    return reply.code(outcome.created ? 201 : 200).send(toTaskBody(outcome.task));
  });

  app.get("/api/v1/tasks", async (request) => {
    const query = parseListTasksQuery(request.query);
    const page = await api.list(query.filter, query.afterTaskId, query.limit);
    return {
      tasks: page.tasks.map(toTaskBody),
      next_cursor: page.nextAfterTaskId === null ? null : encodeTaskCursor(page.nextAfterTaskId),
    };
  });

  app.get<{ Params: { id: string } }>("/api/v1/tasks/:id", async (request) =>
    toTaskBody(await api.get(request.params.id)),
  );

  app.post<{ Params: { id: string } }>("/api/v1/tasks/:id/cancel", async (request) =>
    toTaskBody(await api.cancel(request.params.id)),
  );

  app.get<{ Params: { id: string } }>("/api/v1/tasks/:id/events", async (request, reply) => {
    const stop = new AbortController();
    const events = api.watch(request.params.id, stop.signal)[Symbol.asyncIterator]();
    let first: IteratorResult<Task>;
    try {
      first = await events.next(); // an unknown task still gets a JSON 404
    } catch (error) {
      stop.abort();
      throw error;
    }
    streams.add(stop);
    reply.hijack();
    try {
      await streamTaskEvents(reply.raw, events, first, {
        stop,
        ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
        ...(options.maxStreamMs === undefined ? {} : { maxStreamMs: options.maxStreamMs }),
        onUnexpected: (error) => logUnexpected(error, "/api/v1/tasks/:id/events"),
      });
    } finally {
      streams.delete(stop);
    }
  });

  return app;
}
