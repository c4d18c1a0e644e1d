/**
 * `ops-core/actors`: the module `opsq worker ops-core/actors` runs. Importing it
 *
 * 1. picks the broker: opsq's global broker when one is already set (the embedded demo sets a
 *    StubBroker first), else a new `RabbitmqBroker` on `RABBITMQ_URL`, which becomes the global
 *    broker — and then `DATABASE_URL` must be set (or a runtime configured), so a misconfigured
 *    worker fails at start-up rather than on its first task, and the database pool is closed
 *    when the worker shuts down;
 * 2. with `DATABASE_URL`, adds opsq's `Cancellation` middleware on that database (see
 *    `cancellation.ts`), so `ops-core cancel <task id>` aborts the attempt running the task and
 *    a cancelled task's queued message is acked without running;
 *    It also runs the stale-task reaper in each worker (`reaper-middleware.ts`): a `running`
 *    task without a heartbeat for `OPS_CORE_STALE_AFTER_MS` is requeued, or failed when its
 *    attempts are spent;
 * 3. registers {@link executeAgentTask} on it, with the queue and retry policy of `OPS_CORE_*`
 *    and a time limit just above `AGENT_EXECUTION_TIMEOUT`.
 *
 * It is light: the database driver, drizzle, the openai SDK and zod load on the first task
 * (see `runtime.ts`), one store and one LLM client per process.
 *
 * @example
 * ```ts
 * import { enqueueTask, executeAgentTask } from "ops-core/actors";
 * await enqueueTask(executeAgentTask, taskId); // prefer submitTask(), which stores the task first
 * ```
 *
 * @module
 */
import { type Broker, Cancellation, getBroker, hasBroker, RabbitmqBroker, setBroker } from "opsq";
import { openCancellationBackend } from "../cancellation.js";
import { getConfig, requireDatabaseUrl } from "../config.js";
import { defineExecuteAgentTask, type ExecuteAgentTaskActor, enqueueTask } from "./execute-agent-task.js";
import { reaperMiddleware } from "./reaper-middleware.js";
import { isTaskRuntimeConfigured } from "./runtime.js";
import { taskRuntimeMiddleware } from "./runtime-middleware.js";

export { EXECUTE_AGENT_TASK, type ExecuteAgentTaskActor, enqueueTask } from "./execute-agent-task.js";
export {
  closeTaskRuntime,
  configureTaskRuntime,
  type RuntimeTaskStore,
  type TaskRuntime,
} from "./runtime.js";

const config = getConfig();

function pickBroker(): Broker {
  if (hasBroker()) return getBroker();
  if (!isTaskRuntimeConfigured()) requireDatabaseUrl(config, "the ops-core worker (ops-core/actors)");
  const created = new RabbitmqBroker({ url: config.rabbitmqUrl });
  const cancellation = config.databaseUrl
    ? new Cancellation({ backend: openCancellationBackend(config, config.databaseUrl) })
    : undefined;
  created.addMiddleware(taskRuntimeMiddleware({ cancellation }));
  created.addMiddleware(
    reaperMiddleware({
      enqueue: (taskId) => enqueueTask(executeAgentTask, taskId),
      staleAfterMs: config.actor.staleAfterMs,
      heartbeatMs: config.actor.heartbeatMs,
      intervalMs: config.actor.reapIntervalMs,
      maxAttempts: config.actor.maxRetries + 1,
      logger: created.logger.child({ component: "ops-core-reaper" }),
    }),
  );
  // Registered last: its after hooks run first, so it stops listening before the pools close.
  if (cancellation) created.addMiddleware(cancellation);
  setBroker(created);
  return created;
}

/** The broker the actor is registered on (the worker CLI consumes from it). */
export const broker: Broker = pickBroker();

/** Runs one agent task: `enqueueTask(executeAgentTask, taskId)`. See `process-agent-task.ts`. */
export const executeAgentTask: ExecuteAgentTaskActor = defineExecuteAgentTask({
  broker,
  queue: config.actor.queue,
  maxRetries: config.actor.maxRetries,
  minBackoffMs: config.actor.minBackoffMs,
  maxBackoffMs: config.actor.maxBackoffMs,
  agentTimeoutMs: config.agentExecutionTimeoutMs,
});
