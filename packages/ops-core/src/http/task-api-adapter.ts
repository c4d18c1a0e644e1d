/**
 * The one adapter from {@link TaskApi} to ops-core's functions as they are today: `submitTask`
 * (scheduler.ts) sending through the `execute_agent_task` actor, the store from `openTaskStore`,
 * and the cancel logic of `ops-core cancel` (called, not copied). When the lifecycle moves to
 * other modules, only this file changes.
 *
 * @module
 */
import { CliError } from "opsq/cli";
import { cancelCommand } from "../cli/commands/cancel.js";
import type { CliIo } from "../cli/io.js";
import { type OpsConfig, requireDatabaseUrl } from "../config.js";
import { TaskValidationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { type SchedulerStore, submitTask } from "../scheduler.js";
import { isTerminalStatus } from "../task.js";
import type { TaskStore } from "../task-store-interface.js";
import { pollTaskStatus } from "./poll-task-status.js";
import type { ReadinessCheck } from "./readiness.js";
import { type TaskApi, TaskConflictError } from "./task-api.js";

/** A {@link TaskApi} on the configured services, with its readiness checks. */
export interface OpenedTaskApi {
  /** The API. */
  api: TaskApi;
  /** `postgres` (SELECT 1 on the store's pool) and `rabbitmq` (the producer's connection). */
  readiness: ReadinessCheck[];
  /** Closes the broker connection and the database pool. */
  close(): Promise<void>;
}

/** Options of {@link openTaskApi}. */
export interface OpenTaskApiOptions {
  /** The configuration (`DATABASE_URL` is required). */
  config: OpsConfig;
  /** The environment `ops-core cancel` reads its configuration from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Where warnings go (a cancel the workers could not be told about). */
  logger: Logger;
  /** How often a watched task is read. @default 250 */
  pollMs?: number;
}

/**
 * Opens the store on `DATABASE_URL`/`DATABASE_SCHEMA` and the actors module's broker (on
 * `RABBITMQ_URL`, connected on first use), and returns the API on them.
 *
 * @throws {ConfigError} when `DATABASE_URL` is not set
 */
export async function openTaskApi(options: OpenTaskApiOptions): Promise<OpenedTaskApi> {
  const { config, logger } = options;
  const databaseUrl = requireDatabaseUrl(config, "`ops-core serve`");
  const [{ openTaskStore }, { sql }] = await Promise.all([
    import("../db/open-task-store.js"),
    import("drizzle-orm"),
  ]);
  const opened = await openTaskStore({ databaseUrl, schema: config.databaseSchema });
  const actors = await import("../actors/index.js");
  const store: TaskStore = opened.store;
  const cancelIo: CliIo = {
    out: () => {},
    err: (line) => logger.warn({}, line.replace(/^ops-core: warning: /, "")),
    env: options.env ?? process.env,
  };

  const api: TaskApi = {
    async submit(request) {
      let created = false;
      // The store, noting whether this call inserted the row (else an identical request had).
      const counting: SchedulerStore = {
        addTask: async (input) => {
          const task = await store.addTask(input);
          created = true;
          return task;
        },
        failTask: (taskId, reason, result) => store.failTask(taskId, reason, result),
        findTask: (taskId) => store.findTask(taskId),
      };
      try {
        const task = await submitTask(request, {
          store: counting,
          enqueue: (taskId) => actors.enqueueTask(actors.executeAgentTask, taskId),
        });
        return { task, created };
      } catch (error) {
        // submitTask names a reused id as a taskId validation error; an existing task makes it a conflict.
        if (
          error instanceof TaskValidationError &&
          error.field === "taskId" &&
          request.taskId !== undefined
        ) {
          if ((await store.findTask(request.taskId)) !== null) {
            throw new TaskConflictError(request.taskId, error.problem);
          }
        }
        throw error;
      }
    },
    get: (taskId) => store.getTask(taskId),
    list: (filter, afterTaskId, limit) =>
      store.pageTasks({ ...filter, limit, ...(afterTaskId === undefined ? {} : { afterTaskId }) }),
    async cancel(taskId) {
      try {
        await cancelCommand(taskId, { reason: "Cancelled." }, cancelIo);
      } catch (error) {
        const found = error instanceof CliError ? await store.findTask(taskId) : null;
        if (found && isTerminalStatus(found.status)) {
          throw new TaskConflictError(
            taskId,
            `task ${taskId} is already ${found.status}: only a pending or running task can be cancelled`,
          );
        }
        throw error;
      }
      return store.getTask(taskId);
    },
    watch: (taskId, signal) =>
      pollTaskStatus(() => store.getTask(taskId), {
        signal,
        ...(options.pollMs === undefined ? {} : { intervalMs: options.pollMs }),
      }),
  };

  const readiness: ReadinessCheck[] = [
    {
      name: "postgres",
      check: async () => {
        await opened.database.db.execute(sql`select 1`);
      },
    },
    { name: "rabbitmq", check: () => actors.broker.connect() },
  ];

  return {
    api,
    readiness,
    async close() {
      await Promise.allSettled([actors.broker.close(), opened.close()]);
    },
  };
}
