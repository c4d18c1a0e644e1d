/**
 * The body of `POST /api/v1/tasks`, in the original service's snake_case (`task_type`,
 * `input_data`, plus `name` and `task_id`), and its translation to a validated
 * {@link SubmitTaskRequest}: the checks are `validateSubmitRequest`'s own, with the fields it
 * names given their snake_case names.
 *
 * @module
 */
import { type ZodType, z } from "zod";
import { TaskValidationError } from "../errors.js";
import { escapeUnstorable } from "../storable-text.js";
import {
  SUBMIT_REQUEST_FIELDS,
  type SubmitTaskRequest,
  TASK_TYPES,
  validateSubmitRequest,
} from "../submit-request.js";

/** The request header that chooses the task id, as an alternative to `task_id` in the body. */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/** Body field → request field. */
const FIELDS = { task_type: "taskType", input_data: "inputData", name: "name", task_id: "taskId" } as const;
/** Request field → body field. */
const BODY_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(FIELDS).map(([body, request]) => [request, body]),
);

const inputSchemas = Object.values(TASK_TYPES);

/** The zod schema of the body (for the OpenAPI document; validation is `validateSubmitRequest`'s). */
export const createTaskBodySchema = z
  .object({
    task_type: z.enum(Object.keys(TASK_TYPES) as [string, ...string[]]).describe("kind of work"),
    input_data: (inputSchemas.length === 1
      ? inputSchemas[0]!
      : z.union(inputSchemas as [ZodType, ZodType, ...ZodType[]])
    ).describe("input of that kind of work, e.g. { goal } for agent_task"),
    name: SUBMIT_REQUEST_FIELDS.name.describe("optional label"),
    task_id: SUBMIT_REQUEST_FIELDS.taskId.describe(
      `choose the id to make the request idempotent (or send the ${IDEMPOTENCY_KEY_HEADER} header)`,
    ),
  })
  .strict();

/**
 * Validates a body (and the optional `Idempotency-Key` header, which becomes the task id) and
 * returns the submit request.
 *
 * @throws {TaskValidationError} naming the field in the body's terms, e.g. `input_data.goal: required`,
 *   `prompt: unknown field`, `Idempotency-Key: …`
 */
export function toSubmitRequest(body: unknown, idempotencyKey: string | undefined): SubmitTaskRequest {
  let request: unknown = body;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const renamed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (!Object.hasOwn(FIELDS, key)) throw new TaskValidationError(escapeUnstorable(key), "unknown field");
      renamed[FIELDS[key as keyof typeof FIELDS]] = value;
    }
    if (idempotencyKey !== undefined) {
      const parsed = SUBMIT_REQUEST_FIELDS.taskId.safeParse(idempotencyKey);
      if (!parsed.success) {
        throw new TaskValidationError(IDEMPOTENCY_KEY_HEADER, parsed.error.issues[0]!.message);
      }
      if (renamed.taskId !== undefined && renamed.taskId !== idempotencyKey) {
        throw new TaskValidationError(IDEMPOTENCY_KEY_HEADER, "differs from task_id in the body (send one)");
      }
      renamed.taskId = idempotencyKey;
    }
    request = renamed;
  }
  try {
    return validateSubmitRequest(request);
  } catch (error) {
    if (!(error instanceof TaskValidationError)) throw error;
    throw new TaskValidationError(bodyFieldName(error.field), error.problem);
  }
}

/** The body field naming `field` of a {@link SubmitTaskRequest} (`inputData.goal` → `input_data.goal`). */
export function bodyFieldName(field: string): string {
  const [head, ...rest] = field.split(".");
  return [BODY_NAMES[head!] ?? head, ...rest].join(".");
}
