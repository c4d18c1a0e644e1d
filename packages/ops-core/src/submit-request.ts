/**
 * Validation of a task submission, before anything is written: the task type must be one
 * ops-core runs, the input must match that type's schema, and unknown fields are rejected at
 * every level (zod `.strict()`), so a misplaced `prompt` cannot silently become an empty goal.
 *
 * @module
 */
import { type ZodType, z } from "zod";
import { AGENT_TASK_TYPE, agentTaskInputSchema } from "./agent-task-input.js";
import { TaskValidationError } from "./errors.js";
import { escapeUnstorable, storableString } from "./storable-text.js";
import type { JsonObject } from "./task.js";

/** What a caller submits. */
export interface SubmitTaskRequest {
  /** Kind of work; one of {@link TASK_TYPES}. */
  taskType: string;
  /** The input for that kind of work, e.g. `{ goal: "…" }` for `agent_task`. */
  inputData: JsonObject;
  /** Optional label (at most 200 characters). */
  name?: string | null;
  /**
   * The task's id, chosen by the caller to make the submission idempotent: submitting the same
   * request with the same id again returns the stored task instead of a second one.
   * @default `task_<uuid>`
   */
  taskId?: string;
}

/** The task types ops-core runs, with the schema of their `inputData`. */
export const TASK_TYPES: Readonly<Record<string, ZodType>> = Object.freeze({
  [AGENT_TASK_TYPE]: agentTaskInputSchema.strict(),
});

const requestShape = {
  taskType: storableString(),
  inputData: z.unknown(),
  name: storableString().trim().min(1).max(200).nullable().optional(),
  taskId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'use 1 to 128 letters, digits, "_", ".", ":" or "-"')
    .optional(),
};

/** Built once: zod compiles a schema on its first use, which costs more than the parse. */
const requestSchema = z.object(requestShape).strict();

/**
 * Checks a submission and returns it normalised (name trimmed; `inputData` as given).
 *
 * @throws {TaskValidationError} naming the first bad field, e.g. `inputData.goal: required`,
 *   `taskType: unknown task type "agent_run" (known: agent_task)`, `prompt: unknown field`
 */
export function validateSubmitRequest(request: unknown): SubmitTaskRequest {
  const envelope = parse(requestSchema, request, []);
  const inputSchema = Object.hasOwn(TASK_TYPES, envelope.taskType)
    ? TASK_TYPES[envelope.taskType]
    : undefined;
  if (!inputSchema) {
    const known = Object.keys(TASK_TYPES).join(", ");
    const shown = escapeUnstorable(envelope.taskType.slice(0, 100));
    throw new TaskValidationError("taskType", `unknown task type "${shown}" (known: ${known})`);
  }
  parse(inputSchema, envelope.inputData, ["inputData"]);
  return {
    taskType: envelope.taskType,
    inputData: envelope.inputData as JsonObject,
    ...(envelope.name ? { name: envelope.name } : {}),
    ...(envelope.taskId !== undefined ? { taskId: envelope.taskId } : {}),
  };
}

/** Parses `value`, turning the first zod issue into a {@link TaskValidationError}. */
function parse<T>(schema: ZodType<T>, value: unknown, at: string[]): T {
  const parsed = schema.safeParse(value, {
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined),
  });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [...at, ...issue.path.map((segment) => escapeUnstorable(String(segment)))];
  if (issue.code === "unrecognized_keys") {
    throw new TaskValidationError([...path, escapeUnstorable(issue.keys[0]!)].join("."), "unknown field");
  }
  throw new TaskValidationError(path.join(".") || "request", issue.message);
}

/**
 * The zod schemas of the request's own fields (camelCase; `inputData` is checked per task type
 * with {@link TASK_TYPES}), for documents built from them, such as the HTTP API's OpenAPI schema.
 */
export const SUBMIT_REQUEST_FIELDS = Object.freeze(requestShape);
