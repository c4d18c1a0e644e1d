/**
 * Figures for ops-core on the live services (not a test):
 *
 * 1. worker start-up: spawn of `opsq worker ops-core/actors` → its "worker ready" log line
 *    (module import, RabbitMQ connection, consumers), median of `--starts` runs;
 * 2. end-to-end throughput: `--tasks` tasks submitted through `submitTask` (PostgreSQL insert +
 *    confirmed publish to RabbitMQ, `--submitters` in flight) to one worker subprocess of `--concurrency`,
 *    the fake LLM answering after `--llm-delay-ms` (at once by default); time from the first
 *    submit until every task is terminal, median of `--runs`. Each worker first runs a warm-up
 *    of `--concurrency` tasks (not timed), so lazy loading is not counted. The worker logs at its
 *    default level (info: two lines per task), as it would in production. Printed per run: the
 *    CPU per task of the worker and of the bench process (submitters + fake LLM), and the peak
 *    LLM requests in flight; with a delay, the ideal rate (concurrency / delay) and the ratio;
 * 3. with `--rss`: the worker's resident memory (`VmRSS`) idle after the warm-up and at its peak
 *    during the run, and their difference per LLM request in flight at the peak;
 * 4. with `--raw`: the raw limit (`raw-limit.ts`: the same SQL statements, publishes and LLM
 *    request, hand-written, same process layout), median of `--runs` runs alternating with
 *    ops-core's, and ops-core's ratio to it.
 *
 * Run after `npx tsc -b` (the worker is the built CLI), with RabbitMQ and PostgreSQL up:
 *
 * ```sh
 * npx tsx packages/ops-core/bench/throughput.ts [--tasks 200] [--concurrency 16] [--starts 5] [--runs 3]
 *   [--llm-delay-ms 0] [--submitters 32] [--rss] [--raw]
 * ```
 *
 * Set `BENCH_NODE_ARGS` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) to pass node options to the
 * worker subprocess and the raw consumer.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Broker } from "opsq";
import { openTaskStore } from "../src/db/open-task-store.js";
import { submitTask } from "../src/submit-task.js";
import type { TaskStore } from "../src/task-store-interface.js";
import { type FakeLlm, startFakeLlm } from "../test/helpers/fake-llm.js";
import { TEST_DATABASE_URL, uniqueSchemaName } from "../test/helpers/postgres.js";
import { deleteQueues, TEST_RABBITMQ_URL, testBroker, uniqueQueue } from "../test/helpers/rabbitmq.js";
import { sqlRows } from "../test/helpers/sql-rows.js";
import { spawnWorker } from "../test/helpers/worker-process.js";
import { cpuMs, median, rssKiB, sampleRss } from "./process-stats.js";
import { measureRawLimit } from "./raw-limit.js";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    starts: { type: "string", default: "5" },
    runs: { type: "string", default: "3" },
    "llm-delay-ms": { type: "string", default: "0" },
    rss: { type: "boolean", default: false },
    raw: { type: "boolean", default: false },
    submitters: { type: "string", default: "32" },
  },
});
const TASKS = positive("tasks");
const CONCURRENCY = positive("concurrency");
const STARTS = whole("starts");
const RUNS = positive("runs");
const DELAY_MS = whole("llm-delay-ms");
/** Submissions in flight at once (each is an INSERT plus a confirmed publish). */
const SUBMITTERS = positive("submitters");
/** The fake LLM's directive, at the start of each goal. */
const GOAL_PREFIX = DELAY_MS > 0 ? `[[delay:${DELAY_MS}]] ` : "";

function whole(name: keyof typeof values): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a whole number (got ${values[name]})`);
    process.exit(2);
  }
  return value;
}

function positive(name: keyof typeof values): number {
  const value = whole(name);
  if (value === 0) {
    console.error(`--${name} must be at least 1`);
    process.exit(2);
  }
  return value;
}

const schema = uniqueSchemaName();
const rawSchema = uniqueSchemaName();
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
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];

/** Submits `count` tasks, `SUBMITTERS` at a time. */
async function submitAll(count: number, store: TaskStore, broker: Broker, queue: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SUBMITTERS, count) }, async () => {
      while (next < count) {
        next++;
        await submitTask(
          { taskType: "agent_task", inputData: { goal: `${GOAL_PREFIX}bench task ${next}` } },
          { store, broker, queue },
        );
      }
    }),
  );
}

/** Waits until `count` more tasks than `before` are terminal; returns how many completed. */
async function waitTerminal(before: { terminal: number; completed: number }, count: number): Promise<number> {
  for (;;) {
    const now = await terminalCounts();
    if (now.terminal - before.terminal >= count) return now.completed - before.completed;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One statement, as the raw loop polls. */
async function terminalCounts(): Promise<{ terminal: number; completed: number }> {
  const { sql } = await import("drizzle-orm");
  const [counts] = await sqlRows<{ terminal: number; completed: number }>(
    opened.database,
    sql`select count(*)::int as terminal, count(*) filter (where status = 'completed')::int as completed
        from task where status in ('completed', 'failed')`,
  );
  return counts!;
}

function spawn(queue: string, concurrency?: number) {
  return spawnWorker({
    env: { ...baseEnv, OPS_CORE_QUEUE: queue },
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(nodeArgs.length ? { nodeArgs } : {}),
    collectLogs: false,
  });
}

async function measureStartup(): Promise<void> {
  const startups: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const queue = uniqueQueue();
    queues.push(queue);
    const spawned = performance.now();
    const worker = await spawn(queue);
    startups.push(performance.now() - spawned);
    await worker.stop();
  }
  console.log(
    `worker start-up (spawn → "worker ready"), ${STARTS} runs: median ${median(startups).toFixed(0)} ms ` +
      `[${startups.map((ms) => ms.toFixed(0)).join(", ")}]`,
  );
}

interface RunFigures {
  tasksPerSecond: number;
  rss?: { idleKiB: number; peakKiB: number; inFlight: number };
}

async function measureRun(run: number, llm: FakeLlm): Promise<RunFigures> {
  const queue = uniqueQueue();
  queues.push(queue);
  const worker = await spawn(queue, CONCURRENCY);
  const broker = testBroker();
  await broker.connect();
  try {
    // Warm-up: the first task loads the runtime (driver, tools, zod); not timed.
    const warm = await terminalCounts();
    await submitAll(CONCURRENCY, opened.store, broker, queue);
    await waitTerminal(warm, CONCURRENCY);
    llm.reset();
    const idleKiB = rssKiB(worker.pid);
    const sampler = values.rss ? sampleRss(worker.pid) : undefined;
    const before = await terminalCounts();
    const workerCpuBefore = cpuMs(worker.pid);
    const ownCpuBefore = process.cpuUsage();
    const started = performance.now();
    await submitAll(TASKS, opened.store, broker, queue);
    const submitted = performance.now();
    const completed = await waitTerminal(before, TASKS);
    const seconds = (performance.now() - started) / 1000;
    const peakKiB = sampler?.stop() ?? 0;
    const workerCpu = (cpuMs(worker.pid) - workerCpuBefore) / TASKS;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const submitterCpu = (ownCpu.user + ownCpu.system) / 1000 / TASKS;
    const rate = TASKS / seconds;
    console.log(
      `run ${run}: ${TASKS} tasks, worker concurrency ${CONCURRENCY}, LLM delay ${DELAY_MS} ms: ` +
        `all terminal after ${seconds.toFixed(2)} s (submitting took ${((submitted - started) / 1000).toFixed(2)} s) ` +
        `→ ${rate.toFixed(0)} tasks/s; ${completed} completed, ${llm.chatRequests().length} LLM requests, ` +
        `max ${llm.maxInFlight} in flight; CPU per task: worker ${workerCpu.toFixed(2)} ms, ` +
        `submitters + fake LLM ${submitterCpu.toFixed(2)} ms`,
    );
    return {
      tasksPerSecond: rate,
      ...(sampler ? { rss: { idleKiB, peakKiB, inFlight: llm.maxInFlight } } : {}),
    };
  } finally {
    await worker.stop();
    await broker.close();
  }
}

/** One run of the raw loop (see `raw-limit.ts`), printed. */
async function measureRawRun(run: number): Promise<number> {
  const ownCpuBefore = process.cpuUsage();
  const figures = await measureRawLimit({
    databaseUrl: TEST_DATABASE_URL,
    schema: rawSchema,
    rabbitmqUrl: TEST_RABBITMQ_URL,
    queue: uniqueQueue(),
    llmBaseUrl: fake.baseUrl,
    tasks: TASKS,
    concurrency: CONCURRENCY,
    submitters: SUBMITTERS,
    goalPrefix: GOAL_PREFIX,
  });
  const ownCpu = process.cpuUsage(ownCpuBefore);
  console.log(
    `raw run ${run}: ${TASKS} tasks (submitting took ${figures.submitSeconds.toFixed(2)} s) → ` +
      `${figures.tasksPerSecond.toFixed(0)} tasks/s; ` +
      `CPU per task: consumer ${figures.consumerCpuMs.toFixed(2)} ms, ` +
      `submitters + fake LLM ${((ownCpu.user + ownCpu.system) / 1000 / TASKS).toFixed(2)} ms`,
  );
  return figures.tasksPerSecond;
}

try {
  if (STARTS > 0) await measureStartup();
  if (values.raw) {
    const raw = await openTaskStore({ databaseUrl: TEST_DATABASE_URL, schema: rawSchema, migrate: true });
    await raw.close();
  }
  // With --raw, ops-core and raw runs alternate, so that both meet the same load on the machine.
  const runs: RunFigures[] = [];
  const rawRates: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    runs.push(await measureRun(run, fake));
    if (values.raw) rawRates.push(await measureRawRun(run));
  }
  const rate = median(runs.map((figures) => figures.tasksPerSecond));
  console.log(`end-to-end throughput, median of ${RUNS} runs: ${rate.toFixed(0)} tasks/s`);
  if (DELAY_MS > 0) {
    const ideal = (CONCURRENCY * 1000) / DELAY_MS;
    console.log(
      `LLM delay ${DELAY_MS} ms, concurrency ${CONCURRENCY}: ideal ${ideal.toFixed(0)} tasks/s → ratio ${(rate / ideal).toFixed(2)}`,
    );
  }
  const withRss = runs.filter((figures) => figures.rss !== undefined);
  if (withRss.length) {
    const { idleKiB, peakKiB, inFlight } = withRss.at(-1)!.rss!;
    const perTask = inFlight > 0 ? (peakKiB - idleKiB) / inFlight : 0;
    console.log(
      `worker RSS: idle ${(idleKiB / 1024).toFixed(1)} MiB, peak ${(peakKiB / 1024).toFixed(1)} MiB ` +
        `with ${inFlight} LLM requests in flight → ${perTask.toFixed(0)} KiB per in-flight task`,
    );
  }
  if (values.raw) {
    const limit = median(rawRates);
    console.log(
      `raw limit (postgres.js + amqplib + node:http, no opsq/drizzle/SDK), median of ${RUNS} runs: ` +
        `${limit.toFixed(0)} tasks/s; ops-core / raw = ${(rate / limit).toFixed(2)}`,
    );
  }
} finally {
  const { sql } = await import("drizzle-orm");
  await opened.database.db.execute(sql.raw(`drop schema if exists "${schema}" cascade`));
  await opened.database.db.execute(sql.raw(`drop schema if exists "${rawSchema}" cascade`));
  await opened.close();
  await fake.close();
  await deleteQueues(queues);
}
