/**
 * The middleware `ops-core/actors` adds to the broker it creates: closes the worker's database
 * pools when it stops, and ends `cancelled` a task whose message was cancelled before it ran.
 *
 * Light: the actor's body is imported only when a cancelled message is skipped.
 *
 * @module
 */
import type { Cancellation, MessageProxy, Middleware } from "opsq";
import { EXECUTE_AGENT_TASK } from "./execute-agent-task.js";
import { closeTaskRuntime, isTaskRuntimeConfigured } from "./runtime.js";

/** Options of {@link taskRuntimeMiddleware}. */
export interface TaskRuntimeMiddlewareOptions {
  /** The broker's Cancellation middleware, whose backend is closed with the runtime. */
  cancellation?: Cancellation | undefined;
}

/**
 * - `beforeWorkerBoot`: checks that PostgreSQL answers (else the worker does not start) and logs
 *   the LLM in use (unless an embedding process configured the runtime);
 * - `afterWorkerShutdown`: closes the task runtime the first task opened and the cancellation
 *   backend's pool;
 * - `afterSkipMessage`: an `execute_agent_task` message skipped because it was cancelled (with
 *   `opsq cancel <task id>`, say, which does not touch the task table) marks its task `cancelled`,
 *   so a task is never left `pending` behind a message that will not run.
 */
export function taskRuntimeMiddleware(options: TaskRuntimeMiddlewareOptions = {}): Middleware {
  return {
    name: "OpsCoreTaskRuntime",
    // Before any queue is consumed: a worker without its database takes no task.
    beforeWorkerBoot: async (broker) => {
      if (isTaskRuntimeConfigured()) return;
      const [{ checkBeforeConsuming }, { getConfig }] = await Promise.all([
        import("./worker-boot.js"),
        import("../config.js"),
      ]);
      await checkBeforeConsuming(getConfig(), broker.logger);
    },
    afterWorkerShutdown: async () => {
      await Promise.all([closeTaskRuntime(), options.cancellation?.backend.close()]);
    },
    afterSkipMessage: (_broker, proxy) => recordSkippedCancel(proxy),
  };
}

async function recordSkippedCancel(proxy: MessageProxy): Promise<void> {
  const taskId = proxy.message.args[0];
  const cancelled = proxy.abortReason?.name === "MessageCancelled";
  if (!cancelled || proxy.message.actorName !== EXECUTE_AGENT_TASK || typeof taskId !== "string") return;
  const { cancelTaskOf } = await import("./process-agent-task.js");
  await cancelTaskOf(taskId, proxy.logger);
}
