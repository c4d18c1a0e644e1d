/**
 * The query string of `GET /api/v1/tasks`: filters (`status`, `task_type`, `created_after`,
 * `created_before`), the page size `limit` (1–100, default 20) and the opaque `cursor`.
 *
 * @module
 */
import { z } from "zod";
import { TaskValidationError } from "../errors.js";
import { TASK_STATUSES } from "../task.js";
import type { TaskListFilter } from "./task-api.js";
import { decodeTaskCursor } from "./task-cursor.js";

/** Largest `limit`. */
export const MAX_PAGE_LIMIT = 100;
/** `limit` when none is given. */
export const DEFAULT_PAGE_LIMIT = 20;

const instant = z.iso.datetime({ offset: true });

/** The zod schema of the query (used to parse it, and for the OpenAPI document). */
export const listTasksQuerySchema = z
  .object({
    status: z.enum(TASK_STATUSES).optional().describe("only tasks with this status"),
    task_type: z.string().min(1).max(200).optional().describe("only tasks of this type"),
    created_after: instant.optional().describe("only tasks created after this ISO-8601 instant"),
    created_before: instant.optional().describe("only tasks created before this ISO-8601 instant"),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE_LIMIT)
      .default(DEFAULT_PAGE_LIMIT)
      .describe(`page size, 1 to ${MAX_PAGE_LIMIT}`),
    cursor: z.string().min(1).max(1000).optional().describe("next_cursor of the previous page"),
  })
  .strict();

/** A parsed query. */
export interface ListTasksQuery {
  /** The filters. */
  filter: TaskListFilter;
  /** The task the page continues after (from the cursor). */
  afterTaskId: string | undefined;
  /** Page size. */
  limit: number;
}

/**
 * Parses the query string's parameters.
 *
 * @throws {TaskValidationError} naming the first bad parameter, e.g. `limit: Too big: expected number to be <=100`
 */
export function parseListTasksQuery(query: unknown): ListTasksQuery {
  const parsed = listTasksQuerySchema.safeParse(query ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys")
      throw new TaskValidationError(issue.keys[0]!, "unknown parameter");
    throw new TaskValidationError(issue.path.map(String).join(".") || "query", issue.message);
  }
  const q = parsed.data;
  return {
    filter: {
      ...(q.status === undefined ? {} : { status: q.status }),
      ...(q.task_type === undefined ? {} : { taskType: q.task_type }),
      ...(q.created_after === undefined ? {} : { createdAfter: q.created_after }),
      ...(q.created_before === undefined ? {} : { createdBefore: q.created_before }),
    },
    afterTaskId: q.cursor === undefined ? undefined : decodeTaskCursor(q.cursor),
    limit: q.limit,
  };
}
