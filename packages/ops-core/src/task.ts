/**
 * The agent-task domain model: statuses, the plain {@link Task} shape returned by the store,
 * and the input accepted when a task is added. No database code lives here, so the actors
 * module can import it without loading drizzle.
 *
 * Lifecycle: `pending → running → completed | failed`, plus `pending|running → cancelled`
 * and `pending → failed` (enqueue failure). A terminal task is never reopened.
 *
 * @module
 */

/** Every status a task can have, in lifecycle order. */
export const TASK_STATUSES = ["pending", "running", "completed", "failed", "cancelled"] as const;

/** A task's status, stored as plain text (checked by a CHECK constraint). */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses after which a task never changes again. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ["completed", "failed", "cancelled"];

/** The final statuses a running task can be completed with. */
export type FinalTaskStatus = "completed" | "failed";

/** True when `status` is terminal (`completed`, `failed` or `cancelled`). */
export function isTerminalStatus(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Any JSON value, as stored in the `jsonb` columns. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object, as stored in `input_data`. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * One agent task as the store returns it. Timestamps are ISO-8601 UTC strings
 * (`2026-11-23T10:00:00.123Z`), never `Date` objects, so the shape is JSON-ready.
 */
export interface Task {
  /** Primary key, `task_<uuid>`. */
  taskId: string;
  /** What kind of work this is; `agent_task` is the one ops-core runs. */
  taskType: string;
  /** Optional human-readable label. */
  name: string | null;
  /** Current lifecycle status. */
  status: TaskStatus;
  /** When the row was inserted. */
  createdAt: string;
  /** When the row last changed. */
  updatedAt: string;
  /** When the task was first claimed by a worker. */
  startedAt: string | null;
  /** When the task reached a terminal status. */
  completedAt: string | null;
  /** The caller's input, e.g. `{ goal: "…" }`. */
  inputData: JsonObject;
  /** The outcome written together with the final status. */
  result: JsonValue | null;
  /** Why the task failed (or was cancelled), if it did. */
  errorMessage: string | null;
  /** How many times a worker has claimed the task (1 on a normal run, more after redelivery). */
  attempts: number;
  /** The worker that last claimed the task. */
  workerId: string | null;
  /** Last sign of life from the claiming worker. */
  heartbeatAt: string | null;
}

/** Input of `TaskStore.addTask`. */
export interface NewTask {
  /** Kind of work, e.g. `agent_task`. */
  taskType: string;
  /** Optional label. @default null */
  name?: string | null;
  /** Input for the worker. @default {} */
  inputData?: JsonObject;
  /** Explicit id; generated as `task_<uuid>` when omitted. */
  taskId?: string;
}
