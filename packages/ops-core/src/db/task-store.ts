/**
 * `TaskStore`: every read and write of the `task` table. Status transitions are single
 * guarded `UPDATE … WHERE status IN (…) RETURNING *` statements, so they are atomic without an
 * explicit transaction, two workers cannot both finish a task, and a terminal task is never
 * reopened. A guard that does not match returns `null` instead of throwing.
 *
 * The statements a task runs through (add, find, claim, heartbeat, complete, fail, cancel) are
 * fixed SQL texts run as prepared statements on the driver (`raw-query.ts`), built once;
 * listings, counts and the reaper's statements go through drizzle's query builder. Inserts, claims and
 * completions issued in the same event-loop turn are coalesced into one statement
 * (`statement-batcher.ts`): same guards, same results, one round trip.
 *
 * Loads drizzle-orm: import it lazily (`await import(…)`) from start-up-sensitive code.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
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
import { type RawQuery, rawQueryOf, toIsoTimestamp } from "./raw-query.js";
import { type TaskRow, task, taskOutbox } from "./schema.js";
import { type BatchRow, StatementBatcher } from "./statement-batcher.js";

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

/** Every column, in {@link Task} order, for the raw statements' `RETURNING`/`SELECT`. */
const COLUMNS =
  "task_id, task_type, name, status, created_at, updated_at, started_at, completed_at, input_data, result, error_message, attempts, worker_id, heartbeat_at";

/** The hot-path statements, fixed text with `$n` parameters (see `raw-query.ts`). */
const STATEMENTS = {
  add: `insert into task (task_id, task_type, name, input_data) values ($1, $2, $3, $4::jsonb) returning ${COLUMNS}`,
  find: `select ${COLUMNS} from task where task_id = $1 limit 1`,
  claim: claimSql("'pending', 'running'"),
  claimPending: claimSql("'pending'"),
  heartbeat:
    "update task set heartbeat_at = now() where task_id = $1 and status = 'running' and worker_id = $2 returning task_id",
  complete: `update task set status = $2, result = $3::jsonb, error_message = $4, completed_at = now(), updated_at = now() where task_id = $1 and status = 'running' returning ${COLUMNS}`,
  fail: finishSql("status = 'failed', error_message = $2"),
  failWithResult: finishSql("status = 'failed', error_message = $2, result = $3::jsonb"),
  cancel: finishSql("status = 'cancelled'"),
  cancelWithReason: finishSql("status = 'cancelled', error_message = $2"),
} as const;

/** A task and its outbox row in one statement (the outbox row's id as `outbox_id`). */
const ADD_WITH_MESSAGE = `with queued as (insert into task_outbox (task_id, queue_name, message) values ($1, $5, $6) returning id) insert into task (task_id, task_type, name, input_data) values ($1, $2, $3, $4::jsonb) returning ${COLUMNS}, (select id from queued) as outbox_id`;

/** The coalesced claims and completions: one row per task in `$1`, a jsonb array. */
const BATCH_STATEMENTS = {
  addWithMessage: `with v as (select * from jsonb_to_recordset($1::jsonb) as v(task_id text, task_type text, name text, input_data jsonb, queue_name text, message text)), queued as (insert into task_outbox (task_id, queue_name, message) select v.task_id, v.queue_name, v.message from v returning id, task_id) insert into task as t (task_id, task_type, name, input_data) select v.task_id, v.task_type, v.name, v.input_data from v returning ${prefixed("t")}, (select q.id from queued as q where q.task_id = t.task_id) as outbox_id`,
  add: `insert into task (task_id, task_type, name, input_data) select v.task_id, v.task_type, v.name, v.input_data from jsonb_to_recordset($1::jsonb) as v(task_id text, task_type text, name text, input_data jsonb) returning ${COLUMNS}`,
  claim: claimBatchSql("'pending', 'running'"),
  claimPending: claimBatchSql("'pending'"),
  complete: `update task as t set status = v.status, result = v.result, error_message = v.error_message, completed_at = now(), updated_at = now() from jsonb_to_recordset($1::jsonb) as v(task_id text, status text, result jsonb, error_message text) where t.task_id = v.task_id and t.status = 'running' returning ${prefixed("t")}`,
} as const;

function prefixed(alias: string): string {
  return COLUMNS.split(", ")
    .map((column) => `${alias}.${column}`)
    .join(", ");
}

function claimBatchSql(from: string): string {
  return `update task as t set status = 'running', started_at = coalesce(t.started_at, now()), attempts = t.attempts + 1, worker_id = v.worker_id, heartbeat_at = now(), updated_at = now() from jsonb_to_recordset($1::jsonb) as v(task_id text, worker_id text) where t.task_id = v.task_id and t.status in (${from}) returning ${prefixed("t")}`;
}

interface AddItem {
  task_id: string;
  task_type: string;
  name: string | null;
  input_data: JsonValue;
}

interface AddWithMessageItem extends AddItem {
  queue_name: string;
  message: string;
}

interface ClaimItem {
  task_id: string;
  worker_id: string;
}

interface CompleteItem {
  task_id: string;
  status: string;
  result: JsonValue | null;
  error_message: string | null;
}

function claimSql(from: string): string {
  return `update task set status = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1, worker_id = $2, heartbeat_at = now(), updated_at = now() where task_id = $1 and status in (${from}) returning ${COLUMNS}`;
}

/** `pending|running → <changes>`, `completed_at` and `updated_at` set. */
function finishSql(changes: string): string {
  return `update task set ${changes}, completed_at = now(), updated_at = now() where task_id = $1 and status in ('pending', 'running') returning ${COLUMNS}`;
}

/**
 * Reads and writes agent tasks in PostgreSQL through drizzle; see the module comment for the
 * transition rules. Public code names ops-core's own interface of the same name instead.
 */
export class TaskStore implements TaskStoreInterface {
  // TypeScript-private, not `#private`: a store wrapped with `Object.create(store)` still works.
  private readonly query: RawQuery;
  private readonly adds: StatementBatcher<AddItem>;
  private readonly addsWithMessage: StatementBatcher<AddWithMessageItem>;
  private readonly claims: StatementBatcher<ClaimItem>;
  private readonly pendingClaims: StatementBatcher<ClaimItem>;
  private readonly completions: StatementBatcher<CompleteItem>;

  /** @param db an open drizzle database (see `openDatabase` / `openEmbeddedDatabase`) */
  constructor(private readonly db: Database) {
    const query = rawQueryOf(db);
    this.query = query;
    const batcher = <Item extends { task_id: string }>(
      single: (item: Item) => [string, unknown[]],
      batch: string,
    ) =>
      new StatementBatcher<Item>({
        single: async (item) => (await query(...single(item)))[0],
        batch: (items) => query(batch, [JSON.stringify(items)]),
        taskIdOf: (item) => item.task_id,
      });
    this.adds = batcher<AddItem>(
      (item) => [STATEMENTS.add, [item.task_id, item.task_type, item.name, JSON.stringify(item.input_data)]],
      BATCH_STATEMENTS.add,
    );
    this.addsWithMessage = batcher<AddWithMessageItem>(
      (item) => [
        ADD_WITH_MESSAGE,
        [
          item.task_id,
          item.task_type,
          item.name,
          JSON.stringify(item.input_data),
          item.queue_name,
          item.message,
        ],
      ],
      BATCH_STATEMENTS.addWithMessage,
    );
    const claim = (text: string) => (item: ClaimItem) =>
      [text, [item.task_id, item.worker_id]] as [string, unknown[]];
    this.claims = batcher(claim(STATEMENTS.claim), BATCH_STATEMENTS.claim);
    this.pendingClaims = batcher(claim(STATEMENTS.claimPending), BATCH_STATEMENTS.claimPending);
    this.completions = batcher<CompleteItem>(
      (item) => [
        STATEMENTS.complete,
        [
          item.task_id,
          item.status,
          item.result === null ? null : JSON.stringify(item.result),
          item.error_message,
        ],
      ],
      BATCH_STATEMENTS.complete,
    );
  }

  /**
   * Inserts a `pending` task and returns it.
   *
   * @throws {TaskAlreadyExistsError} when `input.taskId` is already used
   */
  async addTask(input: NewTask): Promise<Task> {
    const taskId = input.taskId ?? `task_${randomUUID()}`;
    try {
      const row = await this.adds.run({
        task_id: taskId,
        task_type: input.taskType,
        name: input.name ?? null,
        input_data: input.inputData ?? {},
      });
      return rowToTask(row!);
    } catch (error) {
      if (hasCode(error, "23505")) throw new TaskAlreadyExistsError(taskId, { cause: error });
      throw error;
    }
  }

  /** Returns the task, or `null` when there is none with this id. */
  async findTask(taskId: string): Promise<Task | null> {
    return this.one(STATEMENTS.find, [taskId]);
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
    const batcher = options.takeOver === false ? this.pendingClaims : this.claims;
    return toTaskOrNull(await batcher.run({ task_id: taskId, worker_id: workerId }));
  }

  /**
   * Records that `workerId` is still working on the task.
   *
   * @returns false when the task is no longer running under this worker
   */
  async heartbeat(taskId: string, workerId: string): Promise<boolean> {
    return (await this.query(STATEMENTS.heartbeat, [taskId, workerId])).length > 0;
  }

  /**
   * Finishes a running task: the final status, result and error message land in one statement.
   *
   * @returns the finished task, or `null` (and nothing written) unless it was `running`
   */
  async completeTask(taskId: string, completion: TaskCompletion): Promise<Task | null> {
    return toTaskOrNull(
      await this.completions.run({
        task_id: taskId,
        status: completion.status,
        result: completion.result ?? null,
        error_message: completion.errorMessage ?? null,
      }),
    );
  }

  /**
   * Marks a `pending` or `running` task `failed` with `reason` — for failures outside an agent
   * run (enqueue failed, retries exhausted). `result` is kept unless one is given.
   *
   * @returns the failed task, or `null` when it is missing or already terminal
   */
  async failTask(taskId: string, reason: string, result?: JsonValue): Promise<Task | null> {
    return result === undefined
      ? this.one(STATEMENTS.fail, [taskId, reason])
      : this.one(STATEMENTS.failWithResult, [
          taskId,
          reason,
          result === null ? null : JSON.stringify(result),
        ]);
  }

  /**
   * Cancels a `pending` or `running` task (a worker that is running it will find, when it
   * tries to complete, that it is no longer `running`, and its result is dropped).
   *
   * @returns the cancelled task, or `null` when it is missing or already terminal
   */
  async cancelTask(taskId: string, reason?: string): Promise<Task | null> {
    return reason === undefined
      ? this.one(STATEMENTS.cancel, [taskId])
      : this.one(STATEMENTS.cancelWithReason, [taskId, reason]);
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
    try {
      const row = await this.addsWithMessage.run({
        task_id: input.taskId,
        task_type: input.taskType,
        name: input.name ?? null,
        input_data: input.inputData ?? {},
        queue_name: message.queueName,
        message: message.body,
      });
      const { outbox_id: outboxId, ...taskRow } = row!;
      return { task: rowToTask(taskRow), outboxId: Number(outboxId) };
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

  /** Runs one raw statement; its first row as a task, or `null` when it matched none. */
  private async one(text: string, params: readonly unknown[]): Promise<Task | null> {
    const [row] = await this.query(text, params);
    return row ? rowToTask(row) : null;
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

function toTaskOrNull(row: BatchRow | undefined): Task | null {
  return row ? rowToTask(row) : null;
}

/** Converts a raw row (column names, see `raw-query.ts`) to the plain, JSON-ready {@link Task}. */
function rowToTask(row: Record<string, unknown>): Task {
  return {
    taskId: row.task_id as string,
    taskType: row.task_type as string,
    name: row.name as string | null,
    status: row.status as TaskStatus,
    createdAt: toIsoTimestamp(row.created_at)!,
    updatedAt: toIsoTimestamp(row.updated_at)!,
    startedAt: toIsoTimestamp(row.started_at),
    completedAt: toIsoTimestamp(row.completed_at),
    inputData: row.input_data as Task["inputData"],
    result: (row.result ?? null) as JsonValue | null,
    errorMessage: row.error_message as string | null,
    attempts: row.attempts as number,
    workerId: row.worker_id as string | null,
    heartbeatAt: toIsoTimestamp(row.heartbeat_at),
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
