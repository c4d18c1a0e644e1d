/**
 * `TaskStore`: every read and write of the `task` table. Status transitions are single
 * guarded `UPDATE … WHERE status IN (…) RETURNING *` statements, so they are atomic without an
 * explicit transaction, two workers cannot both finish a task, and a terminal task is never
 * reopened. A guard that does not match returns `null` instead of throwing.
 *
 * Loads drizzle-orm: import it lazily (`await import(…)`) from start-up-sensitive code.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, getTableColumns, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { TaskAlreadyExistsError, TaskNotFoundError } from "../errors.js";
import type { JsonValue, NewTask, Task, TaskStatus } from "../task.js";
import type {
  ClaimOptions,
  ListTasksOptions,
  OutboxEntry,
  OutboxMessage,
  PageTasksOptions,
  RelayOptions,
  StaleTaskOptions,
  TaskCompletion,
  TaskPage,
  TaskStore as TaskStoreInterface,
} from "../task-store-interface.js";
import type { Database } from "./client.js";
import { type TaskRow, task, taskOutbox } from "./schema.js";

export type {
  ClaimOptions,
  ListTasksOptions,
  PageTasksOptions,
  StaleTaskOptions,
  TaskCompletion,
  TaskPage,
} from "../task-store-interface.js";

/** Largest page {@link TaskStore.listTasks} returns. */
export const MAX_LIST_LIMIT = 1000;

const now = sql`now()`;

/**
 * Reads and writes agent tasks in PostgreSQL through drizzle; see the module comment for the
 * transition rules. Public code names ops-core's own interface of the same name instead.
 */
export class TaskStore implements TaskStoreInterface {
  /** @param db an open drizzle database (see `openDatabase` / `openEmbeddedDatabase`) */
  constructor(private readonly db: Database) {}

  /**
   * Inserts a `pending` task and returns it.
   *
   * @throws {TaskAlreadyExistsError} when `input.taskId` is already used
   */
  async addTask(input: NewTask): Promise<Task> {
    const taskId = input.taskId ?? `task_${randomUUID()}`;
    try {
      const [row] = await this.db
        .insert(task)
        .values({
          taskId,
          taskType: input.taskType,
          name: input.name ?? null,
          inputData: input.inputData ?? {},
        })
        .returning();
      return toTask(row!);
    } catch (error) {
      if (hasCode(error, "23505")) throw new TaskAlreadyExistsError(taskId, { cause: error });
      throw error;
    }
  }

  /** Returns the task, or `null` when there is none with this id. */
  async findTask(taskId: string): Promise<Task | null> {
    const [row] = await this.db.select().from(task).where(eq(task.taskId, taskId)).limit(1);
    return row ? toTask(row) : null;
  }

  /**
   * Returns the task.
   *
   * @throws {TaskNotFoundError} when there is none with this id
   */
  async getTask(taskId: string): Promise<Task> {
    const found = await this.findTask(taskId);
    if (!found) throw new TaskNotFoundError(taskId);
    return found;
  }

  /**
   * Lists tasks newest first (`created_at desc`, then `task_id desc` to break ties).
   *
   * @throws {RangeError} when `limit` or `offset` is out of range
   */
  async listTasks(options: ListTasksOptions = {}): Promise<Task[]> {
    const limit = options.limit ?? 100;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new RangeError(`listTasks limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new RangeError(`listTasks offset must be an integer of at least 0 (got ${offset})`);
    }
    const rows = await this.db
      .select()
      .from(task)
      .where(options.status ? eq(task.status, options.status) : undefined)
      .orderBy(desc(task.createdAt), desc(task.taskId))
      .limit(limit)
      .offset(offset);
    return rows.map(toTask);
  }

  /** Counts tasks, optionally only those with `status` (for paginated listings). */
  async countTasks(options: { status?: TaskStatus } = {}): Promise<number> {
    const [row] = await this.db
      .select({ total: count() })
      .from(task)
      .where(options.status ? eq(task.status, options.status) : undefined);
    return row?.total ?? 0;
  }

  /**
   * Claims the task for `workerId`: `pending → running` (and `running → running` with
   * `takeOver`), `attempts + 1`, `started_at` set on the first claim only. Take-over is for a
   * message redelivered after a worker crash or hand-back, or retried after a failed attempt;
   * a fresh duplicate of the message must not take over a task another delivery is running.
   *
   * @param options `takeOver`: also claim a `running` task. @default true
   * @returns the claimed task, or `null` when it is missing, terminal, or running and not taken over
   */
  async claimTask(taskId: string, workerId: string, options: ClaimOptions = {}): Promise<Task | null> {
    const from: TaskStatus[] = options.takeOver === false ? ["pending"] : ["pending", "running"];
    return this.transition(taskId, from, {
      status: "running",
      startedAt: sql`coalesce(${task.startedAt}, now())`,
      attempts: sql`${task.attempts} + 1`,
      workerId,
      heartbeatAt: now,
    });
  }

  /**
   * Records that `workerId` is still working on the task.
   *
   * @returns false when the task is no longer running under this worker
   */
  async heartbeat(taskId: string, workerId: string): Promise<boolean> {
    const rows = await this.db
      .update(task)
      .set({ heartbeatAt: now })
      .where(and(eq(task.taskId, taskId), eq(task.status, "running"), eq(task.workerId, workerId)))
      .returning({ taskId: task.taskId });
    return rows.length > 0;
  }

  /**
   * Finishes a running task: the final status, result and error message land in one statement.
   *
   * @returns the finished task, or `null` (and nothing written) unless it was `running`
   */
  async completeTask(taskId: string, completion: TaskCompletion): Promise<Task | null> {
    return this.transition(taskId, ["running"], {
      status: completion.status,
      result: completion.result ?? null,
      errorMessage: completion.errorMessage ?? null,
      completedAt: now,
    });
  }

  /**
   * Marks a `pending` or `running` task `failed` with `reason` — for failures outside an agent
   * run (enqueue failed, retries exhausted). `result` is kept unless one is given.
   *
   * @returns the failed task, or `null` when it is missing or already terminal
   */
  async failTask(taskId: string, reason: string, result?: JsonValue): Promise<Task | null> {
    return this.transition(taskId, ["pending", "running"], {
      status: "failed",
      errorMessage: reason,
      completedAt: now,
      ...(result === undefined ? {} : { result }),
    });
  }

  /**
   * Cancels a `pending` or `running` task (a worker that is running it will find, when it
   * tries to complete, that it is no longer `running`, and its result is dropped).
   *
   * @returns the cancelled task, or `null` when it is missing or already terminal
   */
  async cancelTask(taskId: string, reason?: string): Promise<Task | null> {
    return this.transition(taskId, ["pending", "running"], {
      status: "cancelled",
      completedAt: now,
      ...(reason === undefined ? {} : { errorMessage: reason }),
    });
  }

  /**
   * Moves stale `running` tasks that still have attempts left back to `pending` (`worker_id`
   * and `heartbeat_at` cleared), so a fresh message can claim them: their worker died, or their
   * message was dead-lettered while the final status could not be written. The caller must
   * then enqueue a message for each returned task (or fail it, if that enqueue fails).
   *
   * One guarded `UPDATE`: rows are picked with `FOR UPDATE SKIP LOCKED` and the guard is checked
   * again on update, so two reapers never both requeue a task, and a heartbeat or completion
   * that lands first wins.
   *
   * @returns the requeued tasks (now `pending`)
   */
  async requeueStaleTasks(options: StaleTaskOptions): Promise<Task[]> {
    return this.transitionStale(options, lt(task.attempts, options.maxAttempts), {
      status: "pending",
      workerId: null,
      heartbeatAt: null,
    });
  }

  /**
   * Fails stale `running` tasks whose attempts are spent, with the reason
   * `no heartbeat from its worker for over N s (worker died or message lost); gave up after M attempts`.
   * One guarded `UPDATE`, as {@link requeueStaleTasks}.
   *
   * @returns the failed tasks
   */
  async failStaleTasks(options: StaleTaskOptions): Promise<Task[]> {
    const seconds = options.staleAfterMs / 1000;
    const reason = `no heartbeat from its worker for over ${seconds} s (worker died or message lost); gave up after `;
    return this.transitionStale(options, gte(task.attempts, options.maxAttempts), {
      status: "failed",
      errorMessage: sql`${reason} || ${task.attempts} || ' attempts'`,
      completedAt: now,
    });
  }

  /**
   * Inserts a `pending` task and its message's outbox row in one statement (the outbox row in a
   * data-modifying CTE): either both exist or neither does.
   *
   * @returns the task and its outbox row's id
   * @throws {TaskAlreadyExistsError} when `input.taskId` is already used (nothing written)
   */
  async addTaskWithMessage(
    input: NewTask & { taskId: string },
    message: OutboxMessage,
  ): Promise<{ task: Task; outboxId: number }> {
    const queued = this.db
      .$with("queued")
      .as(
        this.db
          .insert(taskOutbox)
          .values({ taskId: input.taskId, queueName: message.queueName, message: message.body })
          .returning({ id: taskOutbox.id }),
      );
    try {
      const [row] = await this.db
        .with(queued)
        .insert(task)
        .values({
          taskId: input.taskId,
          taskType: input.taskType,
          name: input.name ?? null,
          inputData: input.inputData ?? {},
        })
        .returning({
          ...getTableColumns(task),
          outboxId: sql<number>`(select ${queued.id} from ${queued})`.mapWith(Number),
        });
      const { outboxId, ...taskRow } = row!;
      return { task: toTask(taskRow), outboxId };
    } catch (error) {
      if (hasCode(error, "23505")) throw new TaskAlreadyExistsError(input.taskId, { cause: error });
      throw error;
    }
  }

  /**
   * Adds an outbox row for a task that is still `pending`.
   *
   * @returns the row's id, or `null` when the task is missing or no longer pending
   */
  async addMessage(taskId: string, message: OutboxMessage): Promise<number | null> {
    const result = (await this.db.execute(sql`
      insert into ${taskOutbox} (task_id, queue_name, message)
      select ${task.taskId}, ${message.queueName}, ${message.body} from ${task}
      where ${task.taskId} = ${taskId} and ${task.status} = 'pending'
      returning id`)) as unknown as { id: number | string }[] | { rows: { id: number | string }[] };
    // postgres.js answers an array of rows, PGlite `{ rows }`.
    const [row] = Array.isArray(result) ? result : result.rows;
    return row === undefined ? null : Number(row.id);
  }

  /** Deletes outbox rows by id; returns how many were deleted. */
  async deleteMessages(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.db
      .delete(taskOutbox)
      .where(inArray(taskOutbox.id, [...ids]))
      .returning({ id: taskOutbox.id });
    return rows.length;
  }

  /**
   * One relay batch in one transaction: `SELECT … FOR UPDATE SKIP LOCKED` of the oldest rows at
   * least `olderThanMs` old, `publish`, then `DELETE` of the ids it returns. The row locks are
   * held while publishing, so two relays never publish the same row at once.
   */
  async relayMessages(
    options: RelayOptions,
    publish: (entries: OutboxEntry[]) => Promise<readonly number[]>,
  ): Promise<{ locked: number; deleted: number }> {
    const limit = options.limit ?? 100;
    if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) {
      throw new RangeError(
        `olderThanMs must be a number of milliseconds of at least 0 (got ${options.olderThanMs})`,
      );
    }
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be an integer of at least 1 (got ${limit})`);
    }
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(taskOutbox)
        .where(
          sql`${taskOutbox.createdAt} <= now() - ${options.olderThanMs}::double precision * interval '1 millisecond'`,
        )
        .orderBy(asc(taskOutbox.id))
        .limit(limit)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return { locked: 0, deleted: 0 };
      const done = await publish(
        rows.map((row) => ({
          id: row.id,
          taskId: row.taskId,
          queueName: row.queueName,
          body: row.message,
          createdAt: row.createdAt.toISOString(),
        })),
      );
      if (done.length === 0) return { locked: rows.length, deleted: 0 };
      const deleted = await tx
        .delete(taskOutbox)
        .where(inArray(taskOutbox.id, [...done]))
        .returning({ id: taskOutbox.id });
      return { locked: rows.length, deleted: deleted.length };
    });
  }

  /** Counts the outbox rows, optionally of one task. */
  async countMessages(options: { taskId?: string } = {}): Promise<number> {
    const [row] = await this.db
      .select({ total: count() })
      .from(taskOutbox)
      .where(options.taskId === undefined ? undefined : eq(taskOutbox.taskId, options.taskId));
    return row?.total ?? 0;
  }

  /**
   * {@link requeueStaleTasks} and an outbox row per requeued task, in one transaction.
   *
   * @returns the requeued tasks with their outbox rows' ids
   */
  async requeueStaleTasksWithMessages(
    options: StaleTaskOptions,
    message: (taskId: string) => OutboxMessage,
  ): Promise<{ task: Task; outboxId: number }[]> {
    return this.db.transaction(async (tx) => {
      const requeued = await new TaskStore(tx).requeueStaleTasks(options);
      if (requeued.length === 0) return [];
      const rows = await tx
        .insert(taskOutbox)
        .values(
          requeued.map(({ taskId }) => {
            const { queueName, body } = message(taskId);
            return { taskId, queueName, message: body };
          }),
        )
        .returning({ id: taskOutbox.id, taskId: taskOutbox.taskId });
      const ids = new Map(rows.map((row) => [row.taskId, row.id]));
      return requeued.map((requeuedTask) => ({
        task: requeuedTask,
        outboxId: ids.get(requeuedTask.taskId)!,
      }));
    });
  }

  /** One guarded `UPDATE` of up to `limit` stale running tasks matching `filter`. */
  private async transitionStale(
    options: StaleTaskOptions,
    filter: SQL,
    changes: { [K in keyof TaskRow]?: TaskRow[K] | SQL },
  ): Promise<Task[]> {
    const { staleAfterMs, maxAttempts } = options;
    const limit = options.limit ?? 100;
    if (!Number.isFinite(staleAfterMs) || staleAfterMs <= 0) {
      throw new RangeError(`staleAfterMs must be a number of milliseconds above 0 (got ${staleAfterMs})`);
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be an integer of at least 1 (got ${maxAttempts})`);
    }
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be an integer of at least 1 (got ${limit})`);
    }
    // A task claimed before heartbeats existed has none: its claim time counts.
    const stale = and(
      eq(task.status, "running"),
      sql`coalesce(${task.heartbeatAt}, ${task.updatedAt}) < now() - ${staleAfterMs}::double precision * interval '1 millisecond'`,
      filter,
    );
    const candidates = this.db
      .select({ taskId: task.taskId })
      .from(task)
      .where(stale)
      .limit(limit)
      .for("update", { skipLocked: true });
    const rows = await this.db
      .update(task)
      .set({ ...changes, updatedAt: now })
      .where(and(inArray(task.taskId, candidates), stale))
      .returning();
    return rows.map(toTask);
  }

  /** One guarded `UPDATE … WHERE task_id = $1 AND status IN (…) RETURNING *`. */
  private async transition(
    taskId: string,
    from: TaskStatus[],
    changes: { [K in keyof TaskRow]?: TaskRow[K] | SQL },
  ): Promise<Task | null> {
    const [row] = await this.db
      .update(task)
      .set({ ...changes, updatedAt: now })
      .where(and(eq(task.taskId, taskId), inArray(task.status, from)))
      .returning();
    return row ? toTask(row) : null;
  }

  /**
   * One page of tasks, newest first (`created_at desc, task_id desc`), after the task
   * `afterTaskId`: the keyset is compared in SQL against that row's own `created_at` (whose
   * microseconds the ISO string of a {@link Task} drops), so no row is skipped or repeated.
   * A task id that does not exist gives an empty page. The date filters compare at millisecond
   * precision, as {@link Task.createdAt} shows it: `createdAfter: t.createdAt` excludes `t`.
   *
   * @throws {RangeError} when `limit` is out of range or a date is not ISO-8601
   */
  async pageTasks(options: PageTasksOptions = {}): Promise<TaskPage> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new RangeError(`pageTasks limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);
    }
    const after = options.afterTaskId;
    const rows = await this.db
      .select()
      .from(task)
      .where(
        and(
          options.status === undefined ? undefined : eq(task.status, options.status),
          options.taskType === undefined ? undefined : eq(task.taskType, options.taskType),
          options.createdAfter === undefined
            ? undefined
            : gte(task.createdAt, new Date(isoDate("createdAfter", options.createdAfter).getTime() + 1)),
          options.createdBefore === undefined
            ? undefined
            : lt(task.createdAt, isoDate("createdBefore", options.createdBefore)),
          after === undefined
            ? undefined
            : sql`(${task.createdAt}, ${task.taskId}) < (select prev.created_at, prev.task_id from ${task} as prev where prev.task_id = ${after})`,
        ),
      )
      .orderBy(desc(task.createdAt), desc(task.taskId))
      .limit(limit + 1);
    const tasks = rows.slice(0, limit).map(toTask);
    return { tasks, nextAfterTaskId: rows.length > limit ? tasks[tasks.length - 1]!.taskId : null };
  }
}

/** Converts a drizzle row to the plain, JSON-ready {@link Task}. */
function toTask(row: TaskRow): Task {
  return {
    taskId: row.taskId,
    taskType: row.taskType,
    name: row.name,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    completedAt: row.completedAt?.toISOString() ?? null,
    inputData: row.inputData,
    result: row.result ?? null,
    errorMessage: row.errorMessage,
    attempts: row.attempts,
    workerId: row.workerId,
    heartbeatAt: row.heartbeatAt?.toISOString() ?? null,
  };
}

/** True when `error` or one of its causes carries the SQLSTATE `code`. */
function hasCode(error: unknown, code: string): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if ((current as { code?: unknown }).code === code) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** `text` as a Date, when it is an ISO-8601 instant. */
function isoDate(option: string, text: string): Date {
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(text) || Number.isNaN(date.getTime())) {
    throw new RangeError(
      `pageTasks ${option} must be an ISO-8601 date or instant (got ${JSON.stringify(text)})`,
    );
  }
  return date;
}
