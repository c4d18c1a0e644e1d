/**
 * E2E: what the ops-core worker does before it consumes. With PostgreSQL unreachable it exits 3
 * in one line and takes nothing from the queue; otherwise it logs the LLM it uses, then
 * `worker ready`.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { Message } from "opsq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres, TEST_DATABASE_URL } from "../../helpers/postgres.js";
import {
  deleteQueues,
  requireRabbitmq,
  TEST_RABBITMQ_URL,
  testBroker,
  uniqueQueue,
} from "../../helpers/rabbitmq.js";
import { childEnv, OPSQ_CLI, REPO_ROOT, spawnWorker } from "../../helpers/worker-process.js";

const rabbitmq = await requireRabbitmq();
const queues: string[] = [];

afterAll(async () => {
  if (rabbitmq) await deleteQueues(queues);
});

/** The first ready message of `queue`, taken over AMQP without consuming (then put back). */
async function peek(queue: string): Promise<{ redelivered: boolean; body: Record<string, unknown> } | false> {
  const fromOpsq = createRequire(createRequire(import.meta.url).resolve("opsq/package.json"));
  const amqp = (await import(fromOpsq.resolve("amqplib"))) as {
    default: {
      connect(url: string): Promise<{
        createChannel(): Promise<{
          get(queue: string): Promise<false | { fields: { redelivered: boolean }; content: Buffer }>;
          nack(message: unknown, allUpTo: boolean, requeue: boolean): void;
          close(): Promise<void>;
        }>;
        close(): Promise<void>;
      }>;
    };
  };
  const connection = await amqp.default.connect(TEST_RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    const got = await channel.get(queue);
    if (got === false) return false;
    channel.nack(got, false, true);
    await channel.close();
    return { redelivered: got.fields.redelivered, body: JSON.parse(got.content.toString("utf8")) };
  } finally {
    await connection.close();
  }
}

describe.runIf(rabbitmq)("E2E: the ops-core worker with PostgreSQL unreachable", () => {
  it("exits 3 with one line and leaves the waiting task message in the queue, untouched", async () => {
    // Given a task message waiting in its queue
    const queue = uniqueQueue();
    queues.push(queue);
    const producer = testBroker();
    try {
      await producer.enqueue(
        new Message({ queueName: queue, actorName: "execute_agent_task", args: ["task_waiting"] }),
      );
    } finally {
      await producer.close();
    }

    // When a worker starts with a DATABASE_URL nothing answers at
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [OPSQ_CLI, "worker", "ops-core/actors", "--concurrency", "4"],
        {
          cwd: REPO_ROOT,
          timeout: 30_000,
          env: childEnv({
            DATABASE_URL: "postgres://nobody:hunter2@127.0.0.1:1/none",
            RABBITMQ_URL: TEST_RABBITMQ_URL,
            OPS_CORE_QUEUE: queue,
          }),
        },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });

    // Then it exits 3 in one line, without the password…
    expect(code).toBe(3);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /^opsq: cannot start the worker: PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none does not answer \(.*ECONNREFUSED.*\); no task was taken from the queue\n$/,
    );
    // …and the message is still ready, never delivered, its retries untouched
    const waiting = await peek(queue);
    expect(waiting).not.toBe(false);
    const { redelivered, body } = waiting as { redelivered: boolean; body: { options: object } };
    expect(redelivered).toBe(false);
    expect(body.options).not.toHaveProperty("retries");
  });
});

const postgres = rabbitmq && (await requirePostgres());

describe.runIf(postgres)("E2E: the ops-core worker's start-up log", () => {
  let queue: string;

  beforeAll(() => {
    queue = uniqueQueue();
    queues.push(queue);
  });

  it("names the offline model by default, before `worker ready`", async () => {
    const worker = await spawnWorker({
      env: { DATABASE_URL: TEST_DATABASE_URL, RABBITMQ_URL: TEST_RABBITMQ_URL, OPS_CORE_QUEUE: queue },
    });
    try {
      const llm = worker.logs.findIndex((line) => line.msg === "ops-core worker: LLM in use");
      const ready = worker.logs.findIndex((line) => line.msg === "worker ready");
      expect(llm).toBeGreaterThanOrEqual(0);
      expect(llm).toBeLessThan(ready);
      expect(worker.logs[llm]!.llm).toEqual({
        model: "opsq-offline-demo",
        endpoint: "offline (set OPS_LLM_BASE_URL for a real model)",
      });
    } finally {
      await worker.stop();
    }
  });

  it("names the endpoint (password redacted) and the model when OPS_LLM_BASE_URL is set", async () => {
    const worker = await spawnWorker({
      env: {
        DATABASE_URL: TEST_DATABASE_URL,
        RABBITMQ_URL: TEST_RABBITMQ_URL,
        OPS_CORE_QUEUE: queue,
        OPS_LLM_BASE_URL: "http://user:llm-secret@127.0.0.1:9/v1",
        OPS_LLM_API_KEY: "sk-not-logged",
        OPS_LLM_MODEL: "llama3.1",
      },
    });
    try {
      const line = worker.logs.find((entry) => entry.msg === "ops-core worker: LLM in use");
      expect(line?.llm).toEqual({ model: "llama3.1", endpoint: "http://user:***@127.0.0.1:9/v1" });
      expect(worker.output()).not.toContain("llm-secret");
      expect(worker.output()).not.toContain("sk-not-logged");
    } finally {
      await worker.stop();
    }
  });
});
