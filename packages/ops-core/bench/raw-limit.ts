/**
 * The raw limit of this machine for ops-core's work: the same SQL statements, publishes and LLM
 * request as one task through ops-core, hand-written on postgres.js + amqplib + node:http (no
 * opsq, no drizzle, no SDK), in the same process layout — submitters in the bench process (an
 * insert of the task with its outbox row, a confirmed persistent publish, then the outbox row's
 * delete, each awaited), one consumer process
 * (`raw-consumer.ts`) with the same concurrency. What ops-core reaches is compared with it.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import postgres from "postgres";
import { REPO_ROOT } from "../test/helpers/worker-process.js";
import { cpuMs } from "./process-stats.js";

/** Options of {@link measureRawLimit}. */
export interface RawLimitOptions {
  databaseUrl: string;
  /** A migrated schema of its own (the `task` table as ops-core creates it). */
  schema: string;
  rabbitmqUrl: string;
  queue: string;
  /** The fake LLM's base URL (`…/v1`). */
  llmBaseUrl: string;
  tasks: number;
  concurrency: number;
  /** Submissions in flight at once. */
  submitters: number;
  /** Prefix of each task's goal (an LLM delay directive, say). */
  goalPrefix: string;
}

/** One run of the raw loop. */
export interface RawLimitRun {
  tasksPerSecond: number;
  /** CPU of the consumer process per task, ms. */
  consumerCpuMs: number;
  /** How long submitting took, s. */
  submitSeconds: number;
}

const INSERT =
  "with queued as (insert into task_outbox (task_id, queue_name, message) values ($1, $5, $6) returning id) insert into task (task_id, task_type, name, input_data) values ($1, $2, $3, $4::jsonb) returning task_id, task_type, name, status, created_at, updated_at, started_at, completed_at, input_data, result, error_message, attempts, worker_id, heartbeat_at, (select id from queued) as outbox_id";
const DELETE_OUTBOX_ROW = "delete from task_outbox where id = $1";

/** Runs `tasks` tasks through the raw loop and times them until every one is terminal. */
export async function measureRawLimit(options: RawLimitOptions): Promise<RawLimitRun> {
  const sql = postgres(options.databaseUrl, {
    max: 10,
    onnotice: () => {},
    connection: { search_path: options.schema },
  });
  const connection = await amqp.connect(options.rabbitmqUrl);
  let consumer: ChildProcess | undefined;
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(options.queue, { durable: true });
    consumer = await spawnConsumer(options);
    const [{ n: before }] = await sql<[{ n: number }]>`select count(*)::int as n from task`;
    const cpuBefore = cpuMs(consumer.pid!);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.submitters }, async () => {
        while (next < options.tasks) {
          next++;
          const taskId = `task_${randomUUID()}`;
          const input = JSON.stringify({ goal: `${options.goalPrefix}bench task ${next}` });
          const text = JSON.stringify({
            queue_name: options.queue,
            actor_name: "execute_agent_task",
            args: [taskId],
            kwargs: {},
            options: {},
            message_id: taskId,
            message_timestamp: Date.now(),
          });
          const [row] = await sql.unsafe(INSERT, [taskId, "agent_task", null, input, options.queue, text], {
            prepare: true,
          });
          const body = Buffer.from(text);
          await new Promise<void>((resolve, reject) =>
            channel.publish("", options.queue, body, { persistent: true, mandatory: true }, (error) =>
              error ? reject(error) : resolve(),
            ),
          );
          await sql.unsafe(DELETE_OUTBOX_ROW, [row!.outbox_id], { prepare: true });
        }
      }),
    );
    const submitted = performance.now();
    for (;;) {
      const [{ n }] = await sql<[{ n: number }]>`
        select count(*)::int as n from task where status in ('completed', 'failed')`;
      if (n - before >= options.tasks) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      tasksPerSecond: options.tasks / seconds,
      consumerCpuMs: (cpuMs(consumer.pid!) - cpuBefore) / options.tasks,
      submitSeconds: (submitted - started) / 1000,
    };
  } finally {
    if (consumer && consumer.exitCode === null) {
      const exited = new Promise((resolve) => consumer!.once("exit", resolve));
      consumer.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    const channel = await connection.createChannel();
    await channel.deleteQueue(options.queue).catch(() => {});
    await connection.close().catch(() => {});
    await sql.end({ timeout: 2 });
  }
}

/** Starts `raw-consumer.ts` (`node --import tsx`, one process) and waits for its ready line. */
async function spawnConsumer(options: RawLimitOptions): Promise<ChildProcess> {
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const script = "packages/ops-core/bench/raw-consumer.ts";
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      DATABASE_SCHEMA: options.schema,
      RABBITMQ_URL: options.rabbitmqUrl,
      RAW_QUEUE: options.queue,
      RAW_LLM_URL: options.llmBaseUrl,
      RAW_CONCURRENCY: String(options.concurrency),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`raw consumer not ready within 15 s: ${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("raw consumer ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`raw consumer exited with ${code}: ${output}`));
    });
  });
  child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}
