/**
 * The drizzle table definitions. drizzle-kit reads this file (see `drizzle.config.ts`) to
 * generate the SQL migrations in `drizzle/`. Tables are declared without a PostgreSQL schema,
 * so they follow the connection's `search_path` (each test can use its own schema).
 *
 * Only the store and the migrator import this module; the actors module must not import it
 * statically, because it loads drizzle-orm.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { JsonObject, JsonValue, TaskStatus } from "../task.js";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** The `task` table: one row per agent task. */
export const task = pgTable(
  "task",
  {
    taskId: text("task_id").primaryKey(),
    taskType: text("task_type").notNull(),
    name: text("name"),
    status: text("status").$type<TaskStatus>().notNull().default("pending"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
    startedAt: timestamptz("started_at"),
    completedAt: timestamptz("completed_at"),
    inputData: jsonb("input_data").$type<JsonObject>().notNull().default({}),
    result: jsonb("result").$type<JsonValue>(),
    errorMessage: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
    workerId: text("worker_id"),
    heartbeatAt: timestamptz("heartbeat_at"),
  },
  (table) => [
    index("task_task_type_idx").on(table.taskType),
    index("task_status_idx").on(table.status),
    index("task_created_at_idx").on(table.createdAt),
    check(
      "task_status_check",
      sql`${table.status} in ('pending', 'running', 'completed', 'failed', 'cancelled')`,
    ),
  ],
);

/** A row of the `task` table as drizzle returns it (timestamps as `Date`). */
export type TaskRow = typeof task.$inferSelect;

/**
 * The `task_outbox` table: the messages of tasks not yet confirmed by RabbitMQ. A task and its
 * outbox row are written in one statement; the row is deleted once RabbitMQ confirmed the
 * message, and the relay in each worker re-publishes the rows left behind (a broker outage).
 */
export const taskOutbox = pgTable(
  "task_outbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    taskId: text("task_id")
      .notNull()
      .references(() => task.taskId, { onDelete: "cascade" }),
    queueName: text("queue_name").notNull(),
    /** The message as Dramatiq's JSON text (what is published). */
    message: text("message").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [
    index("task_outbox_created_at_idx").on(table.createdAt),
    index("task_outbox_task_id_idx").on(table.taskId),
  ],
);

/** A row of the `task_outbox` table as drizzle returns it. */
export type TaskOutboxRow = typeof taskOutbox.$inferSelect;

/**
 * The `task_schedule` table: recurring agent tasks (`ops-core schedule add`). Each worker runs
 * every row's cron expression through opsq's schedule leaders; each tick submits one task.
 */
export const taskSchedule = pgTable("task_schedule", {
  scheduleId: text("schedule_id").primaryKey(),
  name: text("name").notNull().unique(),
  goal: text("goal").notNull(),
  cron: text("cron").notNull(),
  timezone: text("timezone").notNull().default("UTC"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

/** A row of the `task_schedule` table as drizzle returns it. */
export type TaskScheduleRow = typeof taskSchedule.$inferSelect;

/** Every table, for `drizzle(client, { schema })`. */
export const schema = { task, taskOutbox, taskSchedule };
