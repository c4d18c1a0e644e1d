/**
 * The message that asks a worker to execute an agent task, shared by the producer
 * (`submit-task.ts`) and the actor's definition (`actors/execute-agent-task.ts`), so that
 * submitting a task never loads the worker's module. Light: opsq's `Message` only.
 *
 * @module
 */
import { Message } from "opsq";
import type { OutboxMessage } from "./task-store-interface.js";

/** The actor's name on the wire (`actor_name`), as the Python service named it. */
export const EXECUTE_AGENT_TASK = "execute_agent_task";

/** An `execute_agent_task` message: one argument, the task id. */
export type AgentTaskMessage = Message<[taskId: string], void>;

/**
 * Builds the message for `taskId` on `queue`. Its message id is the task id, so that
 * `ops-core cancel <task id>` (opsq cancels messages by id) stops a worker running it.
 *
 * @example await broker.enqueue(agentTaskMessage(task.taskId, "agent_tasks"));
 */
export function agentTaskMessage(taskId: string, queue: string): AgentTaskMessage {
  return new Message({ queueName: queue, actorName: EXECUTE_AGENT_TASK, args: [taskId], messageId: taskId });
}

/** The task id of an `execute_agent_task` message, or `undefined` for any other message. */
export function taskIdOf(message: Message): string | undefined {
  const [taskId] = message.args;
  return message.actorName === EXECUTE_AGENT_TASK && typeof taskId === "string" && taskId !== ""
    ? taskId
    : undefined;
}

/** The outbox row of `message`: its queue and its Dramatiq JSON text, published as it is later. */
export function outboxMessageOf(message: AgentTaskMessage): OutboxMessage {
  return { queueName: message.queueName, body: message.encode().toString("utf8") };
}
