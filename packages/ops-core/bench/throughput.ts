/**
 * Figures for ops-core on the live services (not a test):
 *
 * 1. worker start-up: spawn of `opsq worker ops-core/actors` → its "worker ready" log line
 *    (module import, RabbitMQ connection, consumers), median of `--starts` runs;
 * 2. end-to-end throughput: `--tasks` tasks submitted through `submitTask` (PostgreSQL insert +
 *    confirmed publish to RabbitMQ) to one worker subprocess of `--concurrency`, with the fake
 *    LLM answering at once; time from the first submit until every task is terminal. The worker
 *    logs at its default level (info: two lines per task), as it would in production.
 *
 * Run after `npx tsc -b` (the worker is the built CLI), with RabbitMQ and PostgreSQL up:
 *
 * ```sh
 * npx tsx packages/ops-core/bench/throughput.ts [--tasks 200] [--concurrency 16] [--starts 5] [--runs 3]
 * ```
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { defineExecuteAgentTask } from "../src/actors/execute-agent-task.js";
import { openTaskStore } from "../src/db/open-task-store.js";
import { submitTask } from "../src/scheduler.js";
import { startFakeLlm } from "../test/helpers/fake-llm.js";
import { TEST_DATABASE_URL, uniqueSchemaName } from "../test/helpers/postgres.js";
import { deleteQueues, TEST_RABBITMQ_URL, testBroker, uniqueQueue } from "../test/helpers/rabbitmq.js";
import { spawnWorker } from "../test/helpers/worker-process.js";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    starts: { type: "string", default: "5" },
    runs: { type: "string", default: "3" },
  },
});
const TASKS = Number(values.tasks);
const CONCURRENCY = Number(values.concurrency);
const STARTS = Number(values.starts);
const RUNS = Number(values.runs);
/** Submissions in flight at once (each is an INSERT plus a confirmed publish). */
const SUBMITTERS = 32;

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** CPU time (user + system) a process has used so far, in ms (Linux: /proc/<pid>/stat, 10 ms ticks). */
const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const schema = uniqueSchemaName();
const queues: string[] = [];
const opened = await openTaskStore({ databaseUrl: TEST_DATABASE_URL, schema, migrate: true });
const fake = await startFakeLlm();
const baseEnv = {
  DATABASE_URL: TEST_DATABASE_URL,
  DATABASE_SCHEMA: schema,
  RABBITMQ_URL: TEST_RABBITMQ_URL,
  OPS_LLM_BASE_URL: fake.baseUrl,
  OPS_LLM_MAX_RETRIES: "0",
};

try {
  const startups: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const queue = uniqueQueue();
    queues.push(queue);
    const spawned = performance.now();
    const worker = await spawnWorker({ env: { ...baseEnv, OPS_CORE_QUEUE: queue } });
    startups.push(performance.now() - spawned);
    await worker.stop();
  }
  console.log(
    `worker start-up (spawn → "worker ready"), ${STARTS} runs: median ${median(startups).toFixed(0)} ms ` +
      `[${startups.map((ms) => ms.toFixed(0)).join(", ")}]`,
  );

  const rates: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const queue = uniqueQueue();
    queues.push(queue);
    const worker = await spawnWorker({
      env: { ...baseEnv, OPS_CORE_QUEUE: queue },
      concurrency: CONCURRENCY,
    });
    const broker = testBroker();
    const actor = defineExecuteAgentTask({
      broker,
      queue,
      maxRetries: 0,
      minBackoffMs: 0,
      maxBackoffMs: 0,
      agentTimeoutMs: 20_000,
    });
    await broker.connect();
    fake.reset();
    const workerCpuBefore = cpuMs(worker.pid);
    const ownCpuBefore = process.cpuUsage();
    const ids: string[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (next < TASKS) {
          next++;
          const task = await submitTask(
            { taskType: "agent_task", inputData: { goal: `bench task ${next}` } },
            { store: opened.store, enqueue: (taskId) => actor.send(taskId) },
          );
          ids.push(task.taskId);
        }
      }),
    );
    const submitted = performance.now();
    let terminal = 0;
    let completed = 0;
    while (terminal < TASKS) {
      const [done, failed] = await Promise.all([
        opened.store.countTasks({ status: "completed" }),
        opened.store.countTasks({ status: "failed" }),
      ]);
      completed = done;
      terminal = done + failed;
      // countTasks counts every run's tasks in this schema: subtract the earlier runs.
      terminal -= (run - 1) * TASKS;
      completed -= (run - 1) * TASKS;
      if (terminal < TASKS) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const finished = performance.now();
    const workerCpu = (cpuMs(worker.pid) - workerCpuBefore) / TASKS;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const submitterCpu = (ownCpu.user + ownCpu.system) / 1000 / TASKS;
    const seconds = (finished - started) / 1000;
    rates.push(TASKS / seconds);
    console.log(
      `run ${run}: ${TASKS} tasks, worker concurrency ${CONCURRENCY}: all terminal after ${seconds.toFixed(2)} s ` +
        `(submitting took ${((submitted - started) / 1000).toFixed(2)} s) → ${(TASKS / seconds).toFixed(0)} tasks/s; ` +
        `${completed} completed, ${fake.chatRequests().length} LLM requests, max ${fake.maxInFlight} in flight; ` +
        `CPU per task: worker ${workerCpu.toFixed(2)} ms, submitter + fake LLM ${submitterCpu.toFixed(2)} ms`,
    );
    await worker.stop();
    await broker.close();
  }
  console.log(`end-to-end throughput, median of ${RUNS} runs: ${median(rates).toFixed(0)} tasks/s`);
} finally {
  const { sql } = await import("drizzle-orm");
  await opened.database.db.execute(sql.raw(`drop schema if exists "${schema}" cascade`));
  await opened.close();
  await fake.close();
  await deleteQueues(queues);
}
