/**
 * ops-core under chaos: a private PostgreSQL schema migrated with the real migrations, plus an
 * audit table filled by a trigger with every status change of every task (so "each task ends
 * exactly once" is counted in the database itself, across worker deaths); the fake LLM of
 * ops-core's tests on loopback; tasks submitted with ops-core's `submitTask` and enqueued by a
 * producer broker; workers as `opsq worker ops-core/actors` subprocesses.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type OpenedTaskStore, openTaskStore, type SubmittedTask, submitTask } from "ops-core";
import type { RabbitmqBroker } from "opsq";
import postgres from "postgres";
import { type FakeLlm, startFakeLlm } from "../../packages/ops-core/test/helpers/fake-llm.js";
import { openProducerBroker } from "./producer.js";
import { Admin, uniqueQueue } from "./rabbit.js";
import { errorText, type ScenarioOptions } from "./scenario.js";
import { WorkerProcess } from "./worker.js";

/** What a terminal status is. */
const TERMINAL = ["completed", "failed", "cancelled"];

/** One ops-core test bed. */
export interface OpsCoreBed {
  readonly schema: string;
  readonly queue: string;
  readonly fake: FakeLlm;
  readonly broker: RabbitmqBroker;
  readonly admin: Admin;
  /** The LLM API key the workers send (a secret: never to be logged). */
  readonly apiKey: string;
  /** Raw SQL on the database (its own pool; survives a restart by reconnecting). */
  readonly sql: postgres.Sql;
  /**
   * Stores a task and enqueues it; resolves with the task (its `delivery` says whether the
   * message was sent or left in the outbox), rejects when storing it failed.
   */
  submit(goal: string): Promise<SubmittedTask>;
  /** Starts `opsq worker ops-core/actors` and waits until it is ready. */
  startWorker(options?: { concurrency?: number; env?: Record<string, string> }): Promise<WorkerProcess>;
  /** Per status, how many of the tasks with these ids are in it. */
  statusCounts(taskIds: readonly string[]): Promise<Map<string, number>>;
  /** Per task, how many times it entered a terminal status (from the audit table). */
  terminalTransitions(taskIds: readonly string[]): Promise<Map<string, number>>;
  /** Task rows not among `taskIds` (stored by a submission that then reported an error). */
  orphans(taskIds: readonly string[]): Promise<number>;
  /** Sum over the tasks of `attempts - 1` (claims beyond the first). */
  extraAttempts(taskIds: readonly string[]): Promise<number>;
  /** Rows left in the outbox (messages not confirmed by RabbitMQ). */
  outboxRows(): Promise<number>;
  /** Per failure reason (digits replaced by `N`), how many of the tasks failed with it. */
  failureReasons(taskIds: readonly string[]): Promise<Map<string, number>>;
  /** Drops the schema, deletes the queues, stops the fake LLM; returns problems. */
  close(): Promise<string[]>;
}

/** Options of {@link openOpsCore}. */
export interface OpsCoreBedOptions {
  /** The producer's longest wait for a confirm (a submission during an outage waits this long). @default 10000 */
  producerConfirmTimeoutMs?: number;
}

/** Opens a test bed for one scenario. */
export async function openOpsCore(
  options: ScenarioOptions,
  name: string,
  bedOptions: OpsCoreBedOptions = {},
): Promise<OpsCoreBed> {
  const schema = `chaos_${name.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
  const apiKey = `sk-chaos-${randomBytes(10).toString("hex")}`;
  (options.secrets as string[]).push(apiKey);
  const admin = new Admin();
  const queue = admin.track(uniqueQueue(name).replace(/-/g, "_"));
  const opened: OpenedTaskStore = await openTaskStore({
    databaseUrl: options.databaseUrl,
    schema,
    migrate: true,
  });
  const sql = postgres(options.databaseUrl, { max: 2, onnotice: () => {}, connect_timeout: 5 });
  await installAudit(sql, schema);
  const fake = await startFakeLlm();
  const broker = openProducerBroker({
    url: options.rabbitUrl,
    logFile: join(options.dir, "producer.log"),
    ...(bedOptions.producerConfirmTimeoutMs === undefined
      ? {}
      : { confirmTimeoutMs: bedOptions.producerConfirmTimeoutMs }),
  });
  let workers = 0;
  return {
    schema,
    queue,
    fake,
    broker,
    admin,
    apiKey,
    sql,
    submit: (goal) =>
      submitTask({ taskType: "agent_task", inputData: { goal } }, { store: opened.store, broker, queue }),
    async startWorker(worker = {}) {
      workers++;
      const process = WorkerProcess.start({
        module: "ops-core/actors",
        args: ["--concurrency", String(worker.concurrency ?? 8)],
        env: {
          DATABASE_URL: options.databaseUrl,
          DATABASE_SCHEMA: schema,
          RABBITMQ_URL: options.rabbitUrl,
          OPS_CORE_QUEUE: queue,
          OPS_LLM_BASE_URL: fake.baseUrl,
          OPS_LLM_API_KEY: apiKey,
          OPS_LLM_MODEL: "chaos-model",
          OPS_LLM_MAX_RETRIES: "0",
          AGENT_EXECUTION_TIMEOUT: "20",
          OPS_CORE_MAX_RETRIES: "3",
          OPS_CORE_MIN_BACKOFF_MS: "100",
          OPS_CORE_MAX_BACKOFF_MS: "1000",
          OPSQ_LOG_LEVEL: "debug",
          ...worker.env,
        },
        logFile: join(options.dir, `worker-${workers}.log`),
      });
      await process.waitReady(1, 30_000);
      return process;
    },
    async statusCounts(taskIds) {
      const rows = await sql<{ status: string; n: number }[]>`
        select status, count(*)::int as n from ${sql(schema)}.task where task_id in ${sql(taskIds)} group by status`;
      return new Map(rows.map((row) => [row.status, row.n]));
    },
    async terminalTransitions(taskIds) {
      const rows = await sql<{ task_id: string; n: number }[]>`
        select task_id, count(*)::int as n from ${sql(schema)}.chaos_transition
        where task_id in ${sql(taskIds)} and new_status in ${sql(TERMINAL)}
        group by task_id`;
      return new Map(rows.map((row) => [row.task_id, row.n]));
    },
    async orphans(taskIds) {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from ${sql(schema)}.task where task_id not in ${sql(taskIds)}`;
      return row!.n;
    },
    async extraAttempts(taskIds) {
      const [row] = await sql<{ n: number }[]>`
        select coalesce(sum(greatest(attempts - 1, 0)), 0)::int as n from ${sql(schema)}.task
        where task_id in ${sql(taskIds)}`;
      return row!.n;
    },
    async outboxRows() {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(schema)}.task_outbox`;
      return row!.n;
    },
    async failureReasons(taskIds) {
      const rows = await sql<{ reason: string; n: number }[]>`
        select regexp_replace(coalesce(error_message, ''), '[0-9]+', 'N', 'g') as reason, count(*)::int as n
        from ${sql(schema)}.task where task_id in ${sql(taskIds)} and status = 'failed'
        group by 1 order by 2 desc`;
      return new Map(rows.map((row) => [row.reason.slice(0, 160), row.n]));
    },
    async close() {
      const problems: string[] = [];
      await broker.close().catch(() => {});
      await fake.close().catch(() => {});
      try {
        await sql`drop schema if exists ${sql(schema)} cascade`;
      } catch (error) {
        problems.push(`could not drop schema ${schema}: ${errorText(error)}`);
      }
      await sql.end({ timeout: 2 }).catch(() => {});
      await opened.close().catch(() => {});
      problems.push(...(await admin.cleanup()));
      return problems;
    },
  };
}

// Every insert and every status or attempts change of a task, with the time, in chaos_transition.
async function installAudit(sql: postgres.Sql, schema: string): Promise<void> {
  await sql.unsafe(`
    create table "${schema}".chaos_transition (
      id bigserial primary key,
      task_id text not null,
      old_status text,
      new_status text not null,
      attempts int not null,
      at timestamptz not null default clock_timestamp()
    );
    create function "${schema}".chaos_audit() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into "${schema}".chaos_transition (task_id, old_status, new_status, attempts)
        values (new.task_id, null, new.status, new.attempts);
      elsif new.status is distinct from old.status or new.attempts is distinct from old.attempts then
        insert into "${schema}".chaos_transition (task_id, old_status, new_status, attempts)
        values (new.task_id, old.status, new.status, new.attempts);
      end if;
      return new;
    end $$;
    create trigger chaos_audit after insert or update on "${schema}".task
      for each row execute function "${schema}".chaos_audit();
  `);
}
