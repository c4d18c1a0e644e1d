/**
 * A task as the HTTP API returns it: the original service's snake_case fields, with `result`
 * (which the original stored but never returned) and `error`.
 *
 * @module
 */
import { z } from "zod";
import { TASK_STATUSES, type Task } from "../task.js";

const instant = z.iso.datetime().describe("ISO-8601 UTC instant, millisecond precision");

/** The zod schema of a task body (for the OpenAPI document). */
export const taskBodySchema = z
  .object({
    task_id: z.string().describe("the task's id"),
    task_type: z.string().describe("kind of work, e.g. agent_task"),
    name: z.string().nullable().describe("optional label"),
    status: z.enum(TASK_STATUSES).describe("pending → running → completed | failed; or cancelled"),
    input_data: z.record(z.string(), z.unknown()).describe("the input as submitted"),
    result: z.unknown().describe("the outcome stored with the final status (JSON), or null"),
    error: z.string().nullable().describe("why the task failed or was cancelled, or null"),
    attempts: z.number().int().describe("how many times a worker claimed the task"),
    created_at: instant,
    updated_at: instant,
    started_at: instant.nullable(),
    completed_at: instant.nullable(),
  })
  .strict();

/** A task body. */
export type TaskBody = z.infer<typeof taskBodySchema>;

/** The body for `task`. */
export function toTaskBody(task: Task): TaskBody {
  return {
    task_id: task.taskId,
    task_type: task.taskType,
    name: task.name,
    status: task.status,
    input_data: task.inputData,
    result: task.result,
    error: task.errorMessage,
    attempts: task.attempts,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    started_at: task.startedAt,
    completed_at: task.completedAt,
  };
}
