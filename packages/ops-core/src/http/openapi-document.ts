/**
 * The OpenAPI 3.1 document served at `/openapi.json`, generated from the zod schemas the
 * server parses and answers with (`z.toJSONSchema`, JSON Schema 2020-12 — OpenAPI 3.1's own
 * dialect), so it cannot drift from them.
 *
 * @module
 */
import { type ZodType, z } from "zod";
import { errorBodySchema } from "./api-error.js";
import { createTaskBodySchema, IDEMPOTENCY_KEY_HEADER } from "./create-task-body.js";
import { listTasksQuerySchema } from "./list-tasks-query.js";
import { healthBodySchema, readinessBodySchema, taskListBodySchema } from "./response-bodies.js";
import { taskBodySchema } from "./task-body.js";

type JsonObject = Record<string, unknown>;

/** A zod schema as a JSON Schema object without its `$schema` line. */
function jsonSchema(schema: ZodType, io: "input" | "output" = "output"): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonObject;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string, description: string) => ({
  description,
  content: { "application/json": { schema: ref(name) } },
});
const problem = (description: string) => json("Error", description);
const taskId = {
  name: "id",
  in: "path",
  required: true,
  description: "the task id",
  schema: { type: "string" },
};
const secured = { security: [{ bearerAuth: [] }] };

/** The query parameters of `GET /api/v1/tasks`, one per field of the query schema. */
function listParameters(): JsonObject[] {
  const schema = jsonSchema(listTasksQuerySchema, "input") as {
    properties: Record<string, JsonObject>;
    required?: string[];
  };
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: "query",
      required: schema.required?.includes(name) ?? false,
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}

/** Builds the document; `version` is the package's. */
export function buildOpenApiDocument(version: string): JsonObject {
  return {
    openapi: "3.1.0",
    info: {
      title: "ops-core",
      version,
      description:
        "Agent tasks stored in PostgreSQL and run by opsq workers. When the server has a token (OPS_API_TOKEN), every /api route needs `Authorization: Bearer <token>`.",
    },
    components: {
      schemas: {
        Task: jsonSchema(taskBodySchema),
        TaskList: jsonSchema(taskListBodySchema),
        CreateTask: jsonSchema(createTaskBodySchema, "input"),
        Error: jsonSchema(errorBodySchema),
        Health: jsonSchema(healthBodySchema),
        Readiness: jsonSchema(readinessBodySchema),
      },
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } },
    },
    paths: {
      "/api/v1/tasks": {
        post: {
          operationId: "createTask",
          summary: "Submit a task (stored pending, then sent to the workers)",
          ...secured,
          parameters: [
            {
              name: IDEMPOTENCY_KEY_HEADER,
              in: "header",
              required: false,
              description: "the task id to use, making the request idempotent (as task_id in the body)",
              schema: jsonSchema(createTaskBodySchema.shape.task_id.unwrap()),
            },
          ],
          requestBody: { required: true, content: { "application/json": { schema: ref("CreateTask") } } },
          responses: {
            "201": json("Task", "stored and enqueued"),
            "200": json("Task", "the same request was already submitted with this id: the stored task"),
            "400": problem("the body is not valid JSON"),
            "401": problem("missing or wrong bearer token"),
            "409": problem("the task id is already used by a different request"),
            "413": problem("the body is too large"),
            "422": problem("invalid request; the message names the field"),
            "503": problem("stored, but it could not be sent to the workers (the task is marked failed)"),
          },
        },
        get: {
          operationId: "listTasks",
          summary: "List tasks, newest first, a page at a time",
          ...secured,
          parameters: listParameters(),
          responses: {
            "200": json("TaskList", "one page; next_cursor is null on the last"),
            "401": problem("missing or wrong bearer token"),
            "422": problem("invalid parameter; the message names it"),
          },
        },
      },
      "/api/v1/tasks/{id}": {
        get: {
          operationId: "getTask",
          summary: "One task, with its result",
          ...secured,
          parameters: [taskId],
          responses: {
            "200": json("Task", "the task"),
            "401": problem("missing or wrong bearer token"),
            "404": problem("no task with this id"),
          },
        },
      },
      "/api/v1/tasks/{id}/cancel": {
        post: {
          operationId: "cancelTask",
          summary: "Cancel a pending or running task (a worker running it stops)",
          ...secured,
          parameters: [taskId],
          responses: {
            "200": json("Task", "the cancelled task"),
            "401": problem("missing or wrong bearer token"),
            "404": problem("no task with this id"),
            "409": problem("the task has already finished"),
          },
        },
      },
      "/api/v1/tasks/{id}/events": {
        get: {
          operationId: "taskEvents",
          summary: "Server-Sent Events: the task now, then at each status change, until it ends",
          description:
            "Each event is `event: status` with the Task as JSON in `data` (the row is polled every 250 ms, so a status shorter than that may be skipped; the last event is the terminal status); lines starting with `:` are heartbeats; on a failure to read the task, one `event: error` with the Error body. The stream closes after a terminal status.",
          ...secured,
          parameters: [taskId],
          responses: {
            "200": {
              description: "the event stream",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            "401": problem("missing or wrong bearer token"),
            "404": problem("no task with this id"),
          },
        },
      },
      "/healthz": {
        get: {
          operationId: "health",
          summary: "The process is up",
          responses: { "200": json("Health", "up") },
        },
      },
      "/readyz": {
        get: {
          operationId: "readiness",
          summary: "PostgreSQL answers SELECT 1 and RabbitMQ is connected (each within a bounded time)",
          responses: {
            "200": json("Readiness", "ready"),
            "503": json("Readiness", "not ready: the checks name what is down"),
          },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "This document",
          responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": {} } } },
        },
      },
    },
  };
}
