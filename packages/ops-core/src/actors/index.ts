/**
 * `ops-core/actors`: the module `opsq worker ops-core/actors` runs, and the only ops-core module
 * with import-time effects. Importing it
 *
 * 1. builds a `RabbitmqBroker` on `RABBITMQ_URL` and makes it opsq's global broker — and
 *    `DATABASE_URL` must be set, so a misconfigured worker fails at start-up rather than on its
 *    first task;
 * 2. adds opsq's `Cancellation` middleware on that database (see `cancellation.ts`), so
 *    `ops-core cancel <task id>` aborts the attempt running the task and a cancelled task's
 *    queued message is acked without running;
 * 3. registers the `execute_agent_task` actor and its middleware ({@link registerAgentTasks}:
 *    the task lifecycle, the stale-task reaper, the runtime's start-up check and clean-up), with
 *    the queue and retry policy of `OPS_CORE_*` and a time limit just above
 *    `AGENT_EXECUTION_TIMEOUT`, and the runner of the schedules stored in `task_schedule`.
 *
 * An embedding process (the demo, tests) does not import it: it calls
 * {@link registerAgentTasks} on its own broker. Producers do not import it either: `submitTask`
 * builds the message itself.
 *
 * It is light: the database driver, drizzle, the openai SDK and zod load on the first task,
 * one store and one LLM client per process.
 *
 * @module
 */
import { type Broker, Cancellation, RabbitmqBroker, setBroker } from "opsq";
import { openCancellationBackend } from "../cancellation.js";
import { getConfig, requireDatabaseUrl } from "../config.js";
import type { ExecuteAgentTaskActor } from "./execute-agent-task.js";
import { registerAgentTasks } from "./register-agent-tasks.js";

export { EXECUTE_AGENT_TASK, type ExecuteAgentTaskActor } from "./execute-agent-task.js";
export {
  type AgentTasks,
  type RegisterAgentTasksOptions,
  registerAgentTasks,
} from "./register-agent-tasks.js";

const config = getConfig();
const databaseUrl = requireDatabaseUrl(config, "the ops-core worker (ops-core/actors)");

/** The broker the actor is registered on (the worker CLI consumes from it). */
export const broker: Broker = new RabbitmqBroker({ url: config.rabbitmqUrl });
setBroker(broker);

const registered = registerAgentTasks({
  broker,
  config,
  cancellation: new Cancellation({ backend: openCancellationBackend(config, databaseUrl) }),
  schedules: { rabbitmqUrl: config.rabbitmqUrl, databaseUrl, databaseSchema: config.databaseSchema },
});

/** The `execute_agent_task` actor (handler `(taskId: string)`); send to it with `submitTask`. */
export const executeAgentTask: ExecuteAgentTaskActor = registered.actor;
