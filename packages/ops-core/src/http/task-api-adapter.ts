/**
 * The one adapter from {@link TaskApi} to ops-core's own modules: `submitTask` (the producer, with
 * the task outbox), the store from `openTaskStore`, `requestCancel` (the same cancel as
 * `ops-core cancel`, through the task lifecycle), and an outbox relay, so a task accepted while
 * RabbitMQ was down is sent when it is back even if no worker runs yet. No second lifecycle: the
 * server writes no status of its own.
 *
 * @module
 */
import { RabbitmqBroker } from "opsq";
import { openCancellationBackend } from "../cancellation.js";
import { type OpsConfig, requireDatabaseUrl } from "../config.js";
import { TaskAlreadyFinishedError, TaskValidationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { OutboxRelay } from "../services/outbox-relay.js";
import { requestCancel } from "../services/request-cancel.js";
import { submitTask } from "../submit-task.js";
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
  /** Stops the relay, closes the broker connection, the cancellation backend and the database pool. */
  close(): Promise<void>;
}

/** Options of {@link openTaskApi}. */
export interface OpenTaskApiOptions {
  /** The configuration (`DATABASE_URL` is required). */
  config: OpsConfig;
  /** Where warnings go (a cancel the workers could not be told about, relay passes that failed). */
  logger: Logger;
  /** How often a watched task is read. @default 250 */
  pollMs?: number;
}

/**
 * Opens the store on `DATABASE_URL`/`DATABASE_SCHEMA`, a producer broker on `RABBITMQ_URL`
 * (connected on first use) and the cancellation backend, starts an outbox relay, and returns the
 * API on them.
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
  const store: TaskStore = opened.store;
  const broker = new RabbitmqBroker({ url: config.rabbitmqUrl });
  const cancellation = openCancellationBackend(config, databaseUrl);
  const relay =
    config.actor.outboxIntervalMs > 0
      ? new OutboxRelay({
          store: async () => store,
          broker,
          intervalMs: config.actor.outboxIntervalMs,
          graceMs: config.actor.outboxGraceMs,
          logger,
        })
      : undefined;
  relay?.start();

  const api: TaskApi = {
    async submit(request) {
      try {
        const { delivery, deliveryError, created, ...task } = await submitTask(request, {
          store,
          broker,
          queue: config.actor.queue,
        });
        if (delivery === "deferred") {
          logger.warn(
            { taskId: task.taskId, error: deliveryError },
            "RabbitMQ unreachable: the task is stored and its message waits in the outbox",
          );
        }
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
        const outcome = await requestCancel(taskId, undefined, {
          store,
          notify: (ids) => cancellation.cancel(ids),
        });
        if (outcome.notifyError !== null) {
          logger.warn(
            { taskId, error: outcome.notifyError },
            "task cancelled, but the workers could not be told at once; a running attempt goes on and its result is dropped",
          );
        }
        return outcome.task;
      } catch (error) {
        if (error instanceof TaskAlreadyFinishedError) throw new TaskConflictError(taskId, error.message);
        throw error;
      }
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
    { name: "rabbitmq", check: () => broker.connect() },
  ];

  return {
    api,
    readiness,
    async close() {
      await relay?.stop();
      await Promise.allSettled([broker.close(), cancellation.close(), opened.close()]);
    },
  };
}
