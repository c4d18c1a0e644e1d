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
import { and, count, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { TaskAlreadyExistsError, TaskNotFoundError } from "../errors.js";
import type { JsonValue, NewTask, Task, TaskStatus } from "../task.js";
import type {
  ClaimOptions,
  ListTasksOptions,
  StaleTaskOptions,
  TaskCompletion,
  TaskStore as TaskStoreInterface,
} from "../task-store-interface.js";
import type { Database } from "./client.js";
import { type RawQuery, rawQueryOf, toIsoTimestamp } from "./raw-query.js";
import { type TaskRow, task } from "./schema.js";
import { type BatchRow, StatementBatcher } from "./statement-batcher.js";

export type {
  ClaimOptions,
  ListTasksOptions,
  StaleTaskOptions,
  TaskCompletion,
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

/** The coalesced claims and completions: one row per task in `$1`, a jsonb array. */
const BATCH_STATEMENTS = {
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
