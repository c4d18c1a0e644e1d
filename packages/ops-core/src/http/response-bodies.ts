/**
 * The zod schemas of the HTTP API's smaller response bodies: a page of tasks, `/healthz` and
 * `/readyz` (a task itself is `task-body.ts`, an error `api-error.ts`).
 *
 * @module
 */
import { z } from "zod";
import { taskBodySchema } from "./task-body.js";

/** `GET /api/v1/tasks`. */
export const taskListBodySchema = z
  .object({
    tasks: z.array(taskBodySchema).describe("newest first"),
    next_cursor: z.string().nullable().describe("pass as `cursor` for the next page; null on the last page"),
  })
  .strict();

/** `GET /healthz`. */
export const healthBodySchema = z.object({ status: z.literal("ok") }).strict();

/** `GET /readyz`. */
export const readinessBodySchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    checks: z.record(z.string(), z.string()).describe('"ok" or "down: <reason>" per dependency'),
    error: z
      .object({ code: z.string(), message: z.string() })
      .strict()
      .optional()
      .describe("when unavailable: what is down"),
  })
  .strict();
