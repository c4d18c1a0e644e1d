/**
 * The definition of the `execute_agent_task` actor, as a factory so tests can register it on
 * their own broker; `ops-core/actors` registers the process-wide one. Light: the actor's body
 * (`process-agent-task.ts`) is imported on the first message.
 *
 * @module
 */
import { type Actor, type Broker, defineActor, type Message } from "opsq";

/** The actor's name on the wire (`actor_name`). */
export const EXECUTE_AGENT_TASK = "execute_agent_task";

/**
 * Extra time opsq's time limit gives an attempt beyond the agent's own deadline. The agent's
 * deadline (inside `runTask`) is what normally ends a slow run, marking the task
 * `failed: Agent execution timed out after N s.`; the time limit is only a backstop for an
 * attempt stuck elsewhere (a hung database call), and it is retried like a transient failure.
 */
export const TIME_LIMIT_GRACE_MS = 5_000;

/** Options of {@link defineExecuteAgentTask}. */
export interface ExecuteAgentTaskOptions {
  /** The broker to register on. @default opsq's global broker */
  broker?: Broker;
  /** Queue of its messages. */
  queue: string;
  /** Retries after the first attempt, for transient failures. */
  maxRetries: number;
  /** Smallest backoff before a retry. */
  minBackoffMs: number;
  /** Largest backoff before a retry. */
  maxBackoffMs: number;
  /** The agent's deadline; opsq's time limit is this plus {@link TIME_LIMIT_GRACE_MS}. */
  agentTimeoutMs: number;
}

/** The actor: `send(taskId)` enqueues a task for a worker. */
export type ExecuteAgentTaskActor = Actor<[taskId: string], void>;

/**
 * Defines the `execute_agent_task` actor (handler `(taskId: string)`) with an explicit time
 * limit and retry policy.
 *
 * @throws opsq's ActorDefinitionError when the broker already has an actor of that name
 */
export function defineExecuteAgentTask(options: ExecuteAgentTaskOptions): ExecuteAgentTaskActor {
  const settings = { maxRetries: options.maxRetries };
  return defineActor(
    EXECUTE_AGENT_TASK,
    async (taskId: string): Promise<void> => {
      const { processAgentTask } = await import("./process-agent-task.js");
      await processAgentTask(taskId, settings);
    },
    {
      ...(options.broker ? { broker: options.broker } : {}),
      queue: options.queue,
      maxRetries: options.maxRetries,
      minBackoffMs: options.minBackoffMs,
      maxBackoffMs: options.maxBackoffMs,
      timeLimitMs: options.agentTimeoutMs + TIME_LIMIT_GRACE_MS,
    },
  );
}

/**
 * Sends a task to the workers with the task id as the message id, so that `ops-core cancel
 * <task id>` can tell a worker running it to stop (opsq cancels messages by id). Use it
 * instead of `actor.send(taskId)`.
 *
 * @example await enqueueTask(executeAgentTask, task.taskId);
 */
export function enqueueTask(
  actor: ExecuteAgentTaskActor,
  taskId: string,
): Promise<Message<[taskId: string], void>> {
  return actor.broker.enqueue(actor.message(taskId).copy({ messageId: taskId }));
}
