/**
 * {@link registerAgentTasks}: everything an ops-core worker needs, registered on a broker it is
 * given — the `execute_agent_task` actor and its middleware. `ops-core/actors` calls it on a
 * RabbitmqBroker built from the environment; the demo and tests call it on a StubBroker with an
 * embedded store. No import-time effect: nothing is registered until it is called.
 *
 * Middleware added, in order:
 * 1. the worker's runtime: before boot, checks that PostgreSQL answers (unless a store was
 *    given); after shutdown, closes the store it opened and the cancellation backend;
 * 2. the task lifecycle (`task-lifecycle.ts`): the final status of each dead-lettered or
 *    cancelled message;
 * 3. the stale-task reaper (`reaper-middleware.ts`), when `reapIntervalMs` > 0;
 * 4. the outbox relay (`services/outbox-relay.ts`), when `outboxIntervalMs` > 0: re-publishes
 *    the task messages a submitter could not send (RabbitMQ was unreachable);
 * 5. the stored schedules' runner (`schedules/schedule-runner.ts`), when `schedules` is given;
 * 6. `cancellation`, when given — last, so its after hooks run first and it stops listening
 *    before the pools close.
 *
 * Light: the database driver, drizzle, the openai SDK and zod load on the first task.
 *
 * @module
 */
import type { Broker, Cancellation, Middleware } from "opsq";
import { type ActorConfig, getConfig, type OpsConfig } from "../config.js";
import { scheduleRunnerMiddleware } from "../schedules/schedule-runner.js";
import { outboxRelayMiddleware } from "../services/outbox-relay.js";
import { taskLifecycle } from "../task-lifecycle.js";
import { defineExecuteAgentTask, type ExecuteAgentTaskActor } from "./execute-agent-task.js";
import { reaperMiddleware } from "./reaper-middleware.js";
import { TaskRuntime, type TaskRuntimeOptions } from "./runtime.js";

/** Options of {@link registerAgentTasks}. */
export interface RegisterAgentTasksOptions extends TaskRuntimeOptions {
  /** The broker to register the actor and middleware on. */
  broker: Broker;
  /** Overrides of the queue, retry, heartbeat and reaper settings. @default config.actor (`OPS_CORE_*`) */
  actor?: Partial<ActorConfig>;
  /** opsq's Cancellation middleware, so `ops-core cancel` stops running tasks. @default none */
  cancellation?: Cancellation | undefined;
  /**
   * Run the schedules stored in `task_schedule` (`ops-core schedule add`): the RabbitMQ URL their
   * leaders use and the database holding them. @default none
   */
  schedules?: StoredSchedulesOptions | undefined;
}

/** Where the stored schedules are, and how often they are read again. */
export interface StoredSchedulesOptions {
  /** AMQP URL, with its password. */
  rabbitmqUrl: string;
  /** PostgreSQL URL of `task_schedule`. */
  databaseUrl: string;
  /** PostgreSQL schema. @default the server's search_path */
  databaseSchema?: string | undefined;
  /** Time between two reads of the table. @default 30000 */
  reloadMs?: number;
}

/** What {@link registerAgentTasks} registered. */
export interface AgentTasks {
  /** The `execute_agent_task` actor. */
  actor: ExecuteAgentTaskActor;
  /** Its queue. */
  queue: string;
  /** The store, LLM client and the rest, opened on the first task; closed when the worker stops. */
  runtime: TaskRuntime;
}

/**
 * Registers the `execute_agent_task` actor and its middleware on `options.broker` (see the
 * module comment). Call it once per broker.
 *
 * @example
 * const broker = new StubBroker();
 * const { queue } = registerAgentTasks({ broker, store, llm: new OfflineLlmClient() });
 * await new Worker(broker, { queues: [queue] }).start();
 * @throws opsq's ActorDefinitionError when the broker already has an `execute_agent_task` actor
 */
export function registerAgentTasks(options: RegisterAgentTasksOptions): AgentTasks {
  const config = options.config ?? getConfig();
  const settings: ActorConfig = { ...config.actor, ...options.actor };
  const runtime = new TaskRuntime({ ...options, config });
  const { broker, cancellation } = options;
  const resolve = () => runtime.get();
  broker.addMiddleware(workerRuntime(runtime, config, cancellation));
  broker.addMiddleware(taskLifecycle({ runtime: resolve }));
  if (settings.reapIntervalMs > 0) {
    broker.addMiddleware(
      reaperMiddleware({
        store: async () => (await resolve()).store,
        broker,
        queue: settings.queue,
        staleAfterMs: settings.staleAfterMs,
        heartbeatMs: settings.heartbeatMs,
        intervalMs: settings.reapIntervalMs,
        maxAttempts: settings.maxRetries + 1,
        logger: broker.logger.child({ component: "ops-core-reaper" }),
      }),
    );
  }
  if (settings.outboxIntervalMs > 0) {
    broker.addMiddleware(
      outboxRelayMiddleware({
        store: async () => (await resolve()).store,
        broker,
        intervalMs: settings.outboxIntervalMs,
        graceMs: settings.outboxGraceMs,
        logger: broker.logger.child({ component: "ops-core-outbox" }),
      }),
    );
  }
  if (options.schedules) {
    const { databaseUrl, databaseSchema, rabbitmqUrl, reloadMs } = options.schedules;
    broker.addMiddleware(
      scheduleRunnerMiddleware({
        rabbitmqUrl,
        openDatabase: async () => {
          const { openDatabase } = await import("../db/client.js");
          return openDatabase(databaseUrl, { schema: databaseSchema, maxConnections: 1 });
        },
        store: async () => (await resolve()).store,
        broker,
        queue: settings.queue,
        ...(reloadMs === undefined ? {} : { reloadMs }),
        logger: broker.logger,
      }),
    );
  }
  if (cancellation) broker.addMiddleware(cancellation);
  const actor = defineExecuteAgentTask({
    broker,
    queue: settings.queue,
    maxRetries: settings.maxRetries,
    minBackoffMs: settings.minBackoffMs,
    maxBackoffMs: settings.maxBackoffMs,
    agentTimeoutMs: options.timeoutMs ?? config.agentExecutionTimeoutMs,
    runtime: resolve,
  });
  return { actor, queue: settings.queue, runtime };
}

/**
 * - `beforeWorkerBoot`: checks that PostgreSQL answers (else the worker does not start) and logs
 *   the LLM in use, unless the embedding process gave the store;
 * - `afterWorkerShutdown`: closes the runtime the first task opened and the cancellation
 *   backend's pool.
 */
function workerRuntime(
  runtime: TaskRuntime,
  config: OpsConfig,
  cancellation: Cancellation | undefined,
): Middleware {
  return {
    name: "OpsCoreWorkerRuntime",
    // Before any queue is consumed: a worker without its database takes no task.
    beforeWorkerBoot: async (broker) => {
      if (runtime.embedded) return;
      const { checkBeforeConsuming } = await import("./worker-boot.js");
      await checkBeforeConsuming(config, broker.logger);
    },
    afterWorkerShutdown: async () => {
      await Promise.all([runtime.close(), cancellation?.backend.close()]);
    },
  };
}
