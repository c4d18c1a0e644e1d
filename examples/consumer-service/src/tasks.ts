/**
 * Submitting an ops-core agent task from another service: the task is stored in PostgreSQL
 * (DATABASE_URL, schema DATABASE_SCHEMA or the default) and enqueued on RabbitMQ (RABBITMQ_URL, queue OPS_CORE_QUEUE) for
 * `opsq worker ops-core/actors`.
 *
 * node dist/tasks.js "What is (17 + 25) * 3?"
 */

import { openTaskStore, submitTask, type Task } from "ops-core";
import { RabbitmqBroker } from "opsq";

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined) {
  console.error("tasks: DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/ops)");
  process.exit(2);
}
const goal = process.argv[2] ?? "What is (17 + 25) * 3?";
const { store, close } = await openTaskStore({
  databaseUrl,
  schema: process.env.DATABASE_SCHEMA,
  migrate: true,
});
// The producer's own broker: submitting a task does not load the worker's module.
const broker = new RabbitmqBroker({ url: process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672" });
try {
  const task: Task = await submitTask({ taskType: "agent_task", inputData: { goal } }, { store, broker });
  console.log(`submitted ${task.taskId} (${task.status}): ops-core submit --wait shows its outcome`);
} finally {
  await Promise.all([close(), broker.close()]);
}
