/**
 * {@link TaskStore}: what callers can do with stored agent tasks, as ops-core's own interface.
 * The PostgreSQL implementation (`db/task-store.ts`, on drizzle) implements it; this module names
 * no drizzle type, so a service's code and ops-core's public declarations do not depend on
 * drizzle's. Get a store from `openTaskStore`.
 *
 * @module
 */
import type { FinalTaskStatus, JsonValue, NewTask, Task, TaskStatus } from "./task.js";

/** Options of {@link TaskStore.listTasks}. */
export interface ListTasksOptions {
  /** Page size, 1–1000. @default 100 */
  limit?: number;
  /** Rows to skip. @default 0 */
  offset?: number;
  /** Only tasks with this status. */
  status?: TaskStatus;
}

/** Options of {@link TaskStore.claimTask}. */
export interface ClaimOptions {
  /** Also claim a task that is `running` (a redelivery or a retry takes it over). @default true */
  takeOver?: boolean;
}

/** Outcome written by {@link TaskStore.completeTask}. */
export interface TaskCompletion {
  /** `completed` or `failed`. */
  status: FinalTaskStatus;
  /** The outcome to store (JSON). @default null */
  result?: JsonValue | null;
  /** Why it failed. @default null */
  errorMessage?: string | null;
}

/** Options of {@link TaskStore.requeueStaleTasks} and {@link TaskStore.failStaleTasks}. */
export interface StaleTaskOptions {
  /** A `running` task is stale when its last heartbeat (or claim) is older than this. */
  staleAfterMs: number;
  /**
   * Claims a task may have: a stale task with fewer `attempts` is requeued, one with this many
   * or more is failed.
   */
  maxAttempts: number;
  /** Most tasks moved per call. @default 100 */
  limit?: number;
}

/** A task's message as the outbox keeps it until RabbitMQ confirmed it. */
export interface OutboxMessage {
  /** The queue it is published to. */
  queueName: string;
  /** The message, encoded as Dramatiq's JSON text. */
  body: string;
}

/** An outbox row: a message not yet confirmed by RabbitMQ. */
export interface OutboxEntry extends OutboxMessage {
  /** The row's id (what {@link TaskStore.deleteMessages} takes). */
  id: number;
  /** The task the message runs. */
  taskId: string;
  /** When the row was written (ISO-8601 UTC). */
  createdAt: string;
}

/** Options of {@link TaskStore.relayMessages}. */
export interface RelayOptions {
  /** Only rows at least this old (the submitter is still publishing younger ones). */
  olderThanMs: number;
  /** Most rows in one batch. @default 100 */
  limit?: number;
}

/**
 * Reads and writes agent tasks. Status transitions are guarded and atomic: two workers cannot
 * both finish a task, a terminal task is never reopened, and a guard that does not match
 * returns `null` instead of throwing.
 */
export interface TaskStore {
  /**
   * Inserts a `pending` task and returns it.
   *
   * @throws {TaskAlreadyExistsError} when `input.taskId` is already used
   */
  addTask(input: NewTask): Promise<Task>;
  /**
   * Inserts a `pending` task and its message's outbox row in one statement: either both exist
   * or neither does.
   *
   * @returns the task and its outbox row's id (delete it once RabbitMQ confirmed the message)
   * @throws {TaskAlreadyExistsError} when `input.taskId` is already used (nothing written)
   */
  addTaskWithMessage(
    input: NewTask & { taskId: string },
    message: OutboxMessage,
  ): Promise<{ task: Task; outboxId: number }>;
  /**
   * Adds an outbox row for a task that is still `pending` (a resubmission).
   *
   * @returns the row's id, or `null` (nothing written) when the task is missing or no longer pending
   */
  addMessage(taskId: string, message: OutboxMessage): Promise<number | null>;
  /**
   * Deletes outbox rows, once RabbitMQ confirmed their messages.
   *
   * @returns how many rows were deleted
   */
  deleteMessages(ids: readonly number[]): Promise<number>;
  /**
   * One relay batch, in one transaction: locks up to `limit` outbox rows at least `olderThanMs`
   * old (`FOR UPDATE SKIP LOCKED`: rows another relay holds are skipped, so no row is published
   * by two relays at once), hands them to `publish`, and deletes the ids it returns (those
   * RabbitMQ confirmed, or that must not be sent again).
   *
   * @returns how many rows were locked, and how many of them were deleted
   */
  relayMessages(
    options: RelayOptions,
    publish: (entries: OutboxEntry[]) => Promise<readonly number[]>,
  ): Promise<{ locked: number; deleted: number }>;
  /** Counts the outbox rows (messages not yet confirmed), optionally of one task. */
  countMessages(options?: { taskId?: string }): Promise<number>;
  /** Returns the task, or `null` when there is none with this id. */
  findTask(taskId: string): Promise<Task | null>;
  /**
   * Returns the task.
   *
   * @throws {TaskNotFoundError} when there is none with this id
   */
  getTask(taskId: string): Promise<Task>;
  /**
   * Lists tasks newest first.
   *
   * @throws {RangeError} when `limit` or `offset` is out of range
   */
  listTasks(options?: ListTasksOptions): Promise<Task[]>;
  /** Counts tasks, optionally only those with `status`. */
  countTasks(options?: { status?: TaskStatus }): Promise<number>;
  /**
   * Claims the task for `workerId`: `pending → running` (and `running → running` with
   * `takeOver`), `attempts + 1`.
   *
   * @returns the claimed task, or `null` when it is missing, terminal, or running and not taken over
   */
  claimTask(taskId: string, workerId: string, options?: ClaimOptions): Promise<Task | null>;
  /**
   * Records that `workerId` is still working on the task.
   *
   * @returns false when the task is no longer running under this worker
   */
  heartbeat(taskId: string, workerId: string): Promise<boolean>;
  /**
   * Finishes a running task: final status, result and error message in one statement.
   *
   * @returns the finished task, or `null` (and nothing written) unless it was `running`
   */
  completeTask(taskId: string, completion: TaskCompletion): Promise<Task | null>;
  /**
   * Marks a `pending` or `running` task `failed` with `reason`.
   *
   * @returns the failed task, or `null` when it is missing or already terminal
   */
  failTask(taskId: string, reason: string, result?: JsonValue): Promise<Task | null>;
  /**
   * Cancels a `pending` or `running` task.
   *
   * @returns the cancelled task, or `null` when it is missing or already terminal
   */
  cancelTask(taskId: string, reason?: string): Promise<Task | null>;
  /**
   * Moves stale `running` tasks with attempts left back to `pending`, so a fresh message can claim
   * them. One guarded statement: two reapers never both requeue a task.
   *
   * @returns the requeued tasks (now `pending`)
   */
  requeueStaleTasks(options: StaleTaskOptions): Promise<Task[]>;
  /**
   * {@link requeueStaleTasks} and an outbox row for each requeued task, in one transaction, so
   * a requeued task always has a message to send (by the caller, or by the relay).
   *
   * @returns the requeued tasks, each with its outbox row's id
   */
  requeueStaleTasksWithMessages(
    options: StaleTaskOptions,
    message: (taskId: string) => OutboxMessage,
  ): Promise<{ task: Task; outboxId: number }[]>;
  /**
   * Fails stale `running` tasks whose attempts are spent, with the reason.
   *
   * @returns the failed tasks
   */
  failStaleTasks(options: StaleTaskOptions): Promise<Task[]>;
  /**
   * One page of tasks, newest first (`created_at desc, task_id desc`), after the task
   * `afterTaskId` of the previous page: keyset pagination, so a task added meanwhile neither
   * shifts nor repeats a row.
   *
   * @throws {RangeError} when `limit` is out of range or a date is not ISO-8601
   */
  pageTasks(options?: PageTasksOptions): Promise<TaskPage>;
}

/** Options of {@link TaskStore.pageTasks}. */
export interface PageTasksOptions {
  /** Page size, 1–1000. @default 20 */
  limit?: number;
  /** Only tasks with this status. */
  status?: TaskStatus;
  /** Only tasks of this type. */
  taskType?: string;
  /**
   * Only tasks created strictly after this ISO-8601 instant, at millisecond precision (as
   * {@link Task.createdAt} shows it: a task's own `createdAt` excludes it).
   */
  createdAfter?: string;
  /** Only tasks created strictly before this ISO-8601 instant (millisecond precision). */
  createdBefore?: string;
  /**
   * The last task of the previous page ({@link TaskPage.nextAfterTaskId}); the page starts
   * with the task listed after it. A task id that does not exist gives an empty page.
   */
  afterTaskId?: string;
}

/** One page of {@link TaskStore.pageTasks}. */
export interface TaskPage {
  /** The tasks, newest first. */
  tasks: Task[];
  /** Give this as `afterTaskId` for the next page; `null` when this page is the last. */
  nextAfterTaskId: string | null;
}
