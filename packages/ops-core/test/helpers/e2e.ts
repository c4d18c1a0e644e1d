/**
 * The E2E harness: a fresh PostgreSQL schema per test file (migrated with the real
 * migrations), the fake LLM on loopback, unique queues per test, a producer on the live
 * RabbitMQ that submits through the real `submitTask`, and workers as
 * `opsq worker ops-core/actors` subprocesses configured through their environment.
 */
import type { RabbitmqBroker } from "opsq";
import { type OpenedTaskStore, openTaskStore } from "../../src/db/open-task-store.js";
import type { SubmitTaskRequest } from "../../src/submit-request.js";
import { submitTask } from "../../src/submit-task.js";
import { isTerminalStatus, type Task, type TaskStatus } from "../../src/task.js";
import type { TaskStore } from "../../src/task-store-interface.js";
import { type FakeLlm, startFakeLlm } from "./fake-llm.js";
import { requirePostgres, TEST_DATABASE_URL, uniqueSchemaName } from "./postgres.js";
import { deleteQueues, requireRabbitmq, TEST_RABBITMQ_URL, testBroker, uniqueQueue } from "./rabbitmq.js";
import { spawnWorker, type WorkerProcess } from "./worker-process.js";

/** The API key the workers send to the fake LLM (asserted on, and never to be logged). */
export const E2E_API_KEY = "sk-e2e-secret-key";
/** The model the workers ask for. */
export const E2E_MODEL = "e2e-model";

/** True when PostgreSQL and RabbitMQ both answer (see the CI rule in their helpers). */
export async function servicesAvailable(): Promise<boolean> {
  return (await requirePostgres()) && (await requireRabbitmq());
}

/** Everything one E2E test file shares. */
export interface E2eContext {
  /** A store on the file's schema (the test's view of the database). */
  readonly store: TaskStore;
  /** The file's schema. */
  readonly schema: string;
  /** The fake OpenAI-compatible server. */
  readonly fake: FakeLlm;
  /** A fresh queue and a producer for it (one per test). */
  producer(): Promise<Producer>;
  /** Starts a worker subprocess on `queue` with the file's database and fake LLM. */
  worker(
    queue: string,
    options?: { env?: Record<string, string>; concurrency?: number },
  ): Promise<WorkerProcess>;
  /** The environment given to worker (and CLI) subprocesses for `queue`. */
  env(queue: string, extra?: Record<string, string>): Record<string, string>;
  /** Stops workers, closes producers, drops the schema, deletes the queues. */
  close(): Promise<void>;
}

/** Submits tasks on the live RabbitMQ, as a producer service does. */
export interface Producer {
  readonly queue: string;
  readonly broker: RabbitmqBroker;
  /** `submitTask` publishing on `broker` (the message id is the task id). */
  submit(goalOrRequest: string | SubmitTaskRequest): Promise<Task>;
}

/** Creates the schema, migrates it, and starts the fake LLM. */
export async function openE2e(): Promise<E2eContext> {
  const schema = uniqueSchemaName();
  const [opened, fake] = await Promise.all([
    openTaskStore({ databaseUrl: TEST_DATABASE_URL, schema, migrate: true }),
    startFakeLlm(),
  ]);
  const queues = new Set<string>();
  const brokers: RabbitmqBroker[] = [];
  const workers: WorkerProcess[] = [];
  const env = (queue: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    RABBITMQ_URL: TEST_RABBITMQ_URL,
    OPS_CORE_QUEUE: queue,
    OPS_LLM_BASE_URL: fake.baseUrl,
    OPS_LLM_API_KEY: E2E_API_KEY,
    OPS_LLM_MODEL: E2E_MODEL,
    OPS_LLM_MAX_RETRIES: "0",
    AGENT_EXECUTION_TIMEOUT: "5",
    OPS_CORE_MIN_BACKOFF_MS: "50",
    OPS_CORE_MAX_BACKOFF_MS: "100",
    ...extra,
  });
  return {
    store: opened.store,
    schema,
    fake,
    env,
    async producer() {
      const queue = uniqueQueue();
      queues.add(queue);
      const broker = testBroker();
      brokers.push(broker);
      return {
        queue,
        broker,
        submit: (goalOrRequest) =>
          submitTask(
            typeof goalOrRequest === "string"
              ? { taskType: "agent_task", inputData: { goal: goalOrRequest } }
              : goalOrRequest,
            { store: opened.store, broker, queue },
          ),
      };
    },
    async worker(queue, options = {}) {
      const worker = await spawnWorker({
        env: env(queue, options.env),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.allSettled(workers.map((worker) => worker.kill()));
      const results = await Promise.allSettled([
        ...brokers.map((broker) => broker.close()),
        fake.close(),
        dropSchema(opened, schema),
        deleteQueues(queues),
      ]);
      const failure = results.find((result) => result.status === "rejected");
      if (failure) throw failure.reason;
    },
  };
}

async function dropSchema(opened: OpenedTaskStore, schema: string): Promise<void> {
  const { sql } = await import("drizzle-orm");
  try {
    await opened.database.db.execute(sql.raw(`drop schema if exists "${schema}" cascade`));
  } finally {
    await opened.close();
  }
}

/** Polls until `check` returns a value (not undefined); rejects after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the task is terminal and returns it. */
export function waitForTerminal(store: TaskStore, taskId: string, timeoutMs = 15_000): Promise<Task> {
  return waitFor(
    async () => {
      const task = await store.getTask(taskId);
      return isTerminalStatus(task.status) ? task : undefined;
    },
    `task ${taskId} to finish`,
    timeoutMs,
  );
}

/**
 * Polls the task every few ms until it is terminal and returns every distinct state seen, in
 * order (a state is the status; consecutive duplicates are dropped) plus the final row.
 */
export async function watchStatuses(
  store: TaskStore,
  taskId: string,
  timeoutMs = 15_000,
): Promise<{ statuses: TaskStatus[]; snapshots: Task[]; final: Task }> {
  const statuses: TaskStatus[] = [];
  const snapshots: Task[] = [];
  const final = await waitFor(
    async () => {
      const task = await store.getTask(taskId);
      if (statuses.at(-1) !== task.status) {
        statuses.push(task.status);
        snapshots.push(task);
      }
      return isTerminalStatus(task.status) ? task : undefined;
    },
    `task ${taskId} to finish`,
    timeoutMs,
  );
  return { statuses, snapshots, final };
}
