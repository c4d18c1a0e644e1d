/**
 * Access to the live RabbitMQ for E2E tests: readiness by a real AMQP handshake (opsq's
 * `RabbitmqBroker.connect()`), the CI rule (unreachable RabbitMQ skips locally, fails under
 * `CI`), unique queue names, and deletion of the queues a test declared.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { createLogger, RabbitmqBroker } from "opsq";
import { redactUrl } from "../../src/redact.js";

/** `RABBITMQ_URL`, or the local guest account. */
export const TEST_RABBITMQ_URL = process.env.RABBITMQ_URL || "amqp://guest:guest@127.0.0.1:5672";

/** A broker for the test process itself (producing, counting), with its logs silenced. */
export function testBroker(): RabbitmqBroker {
  return new RabbitmqBroker({ url: TEST_RABBITMQ_URL, logger: createLogger({ level: "silent" }) });
}

/** Opens and closes an AMQP connection; returns null when it worked, else why not. */
export async function probeRabbitmq(): Promise<string | null> {
  const broker = testBroker();
  try {
    await broker.connect();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await broker.close().catch(() => {});
  }
}

/** True when RabbitMQ answers; false (with a warning) locally, an error under `CI`. */
export async function requireRabbitmq(): Promise<boolean> {
  const problem = await probeRabbitmq();
  if (problem === null) return true;
  const message = `RabbitMQ is unreachable at ${redactUrl(TEST_RABBITMQ_URL)}: ${problem}`;
  if (process.env.CI) throw new Error(`${message} (CI is set, so this is a failure, not a skip)`);
  console.warn(`${message}; skipping the RabbitMQ E2E tests`);
  return false;
}

/** A fresh queue name such as `ops_e2e_3fa2c41b`. */
export function uniqueQueue(): string {
  return `ops_e2e_${randomBytes(4).toString("hex")}`;
}

/** The part of amqplib used to delete queues. */
interface Amqplib {
  connect(url: string): Promise<{
    createChannel(): Promise<{ deleteQueue(name: string): Promise<unknown> }>;
    close(): Promise<void>;
  }>;
}

/**
 * Deletes the queue families (`q`, `q.DQ`, `q.XQ`) over AMQP. opsq has no "delete queue" API,
 * so this uses amqplib, resolved from opsq's own dependencies (ops-core does not depend on it).
 */
export async function deleteQueues(queues: Iterable<string>): Promise<void> {
  const names = [...queues].flatMap((queue) => [queue, `${queue}.DQ`, `${queue}.XQ`]);
  if (names.length === 0) return;
  const fromOpsq = createRequire(createRequire(import.meta.url).resolve("opsq/package.json"));
  const amqp = ((await import(fromOpsq.resolve("amqplib"))) as { default: Amqplib }).default;
  const connection = await amqp.connect(TEST_RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    for (const name of names) await channel.deleteQueue(name);
  } finally {
    await connection.close();
  }
}
