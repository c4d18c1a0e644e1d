/**
 * {@link TaskApi}: everything the HTTP server asks of ops-core, as one small injected interface.
 * The server knows nothing else (no store, no broker, no lifecycle of its own); one adapter
 * (`task-api-adapter.ts`) maps it onto ops-core's submit, store and cancel functions, and tests
 * can give the server a fake.
 *
 * @module
 */
import { OpsCoreError } from "../errors.js";
import type { SubmitTaskRequest } from "../submit-request.js";
import type { Task, TaskStatus } from "../task.js";

/** What {@link TaskApi.submit} did. */
export interface SubmitOutcome {
  /** The task as stored. */
  task: Task;
  /** True when this call stored it; false when an identical earlier submission had (idempotent retry). */
  created: boolean;
}

/** Filters of {@link TaskApi.list}; every one is optional. */
export interface TaskListFilter {
  /** Only tasks with this status. */
  status?: TaskStatus;
  /** Only tasks of this type. */
  taskType?: string;
  /** Only tasks created strictly after this ISO-8601 instant (millisecond precision). */
  createdAfter?: string;
  /** Only tasks created strictly before this ISO-8601 instant (millisecond precision). */
  createdBefore?: string;
}

/** One page of {@link TaskApi.list}. */
export interface TaskListPage {
  /** The tasks, newest first. */
  tasks: Task[];
  /** Pass this as `afterTaskId` to get the next page; `null` on the last page. */
  nextAfterTaskId: string | null;
}

/** The operations behind the HTTP API. */
export interface TaskApi {
  /**
   * Validates, stores and enqueues a task. With a caller-chosen `taskId`, submitting the same
   * request again returns the stored task (`created: false`).
   *
   * @throws {TaskValidationError} for bad input (fields named in camelCase, e.g. `inputData.goal`)
   * @throws {TaskConflictError} when `taskId` is already used by a different request
   * @throws {EnqueueError} when the task was stored but could not be sent to the workers
   */
  submit(request: SubmitTaskRequest): Promise<SubmitOutcome>;
  /**
   * Returns the task.
   *
   * @throws {TaskNotFoundError} for an unknown id
   */
  get(taskId: string): Promise<Task>;
  /**
   * Lists tasks newest first, `limit` at a time, after the task `afterTaskId` of the previous page.
   *
   * @throws {RangeError} for a limit out of range or a date that is not ISO-8601
   */
  list(filter: TaskListFilter, afterTaskId: string | undefined, limit: number): Promise<TaskListPage>;
  /**
   * Cancels a pending or running task (a worker running it is told to stop) and returns it.
   *
   * @throws {TaskNotFoundError} for an unknown id
   * @throws {TaskConflictError} when the task has already finished
   */
  cancel(taskId: string): Promise<Task>;
  /**
   * The task now, then again at each status change, ending after a terminal status or when
   * `signal` aborts. Rejects on the first step with {@link TaskNotFoundError} for an unknown id.
   */
  watch(taskId: string, signal: AbortSignal): AsyncIterable<Task>;
}

/**
 * The request conflicts with the task's current state: its id is taken by a different
 * request, or it has already finished and cannot be cancelled. HTTP 409.
 */
export class TaskConflictError extends OpsCoreError {
  override name = "TaskConflictError";
  /** @param taskId the task in conflict @param message one line saying why */
  constructor(
    readonly taskId: string,
    message: string,
  ) {
    super(message);
  }
}
