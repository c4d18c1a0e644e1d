/**
 * Start-up (spawn → "worker ready" log line: module import, RabbitMQ connection, consumers) and
 * idle graceful shutdown (SIGTERM → exit) of `opsq worker <module>`, median of `runs`.
 */
import { type BenchContext, deleteFamilies, uniqueQueue } from "./amqp.js";
import { OPSQ_CLI, ROOT, STATS_ACTORS, spawnReady } from "./processes.js";
import { median } from "./stats.js";

export interface StartupFigures {
  module: string;
  startupMs: number[];
  shutdownMs: number[];
  exitCodes: (number | null)[];
  /** How the environment was set up, for the report. */
  note: string;
}

/** The database ops-core's worker boots against (it loads the cancelled task ids from it). */
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The environment without ops-core's and opsq's own variables (never inherited from the shell). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(DATABASE_|RABBITMQ_URL$|OPS_|OPSQ_)/.test(key)),
  );
}

async function measure(
  module: string,
  env: NodeJS.ProcessEnv,
  runs: number,
): Promise<Omit<StartupFigures, "module" | "note">> {
  const figures = {
    startupMs: [] as number[],
    shutdownMs: [] as number[],
    exitCodes: [] as (number | null)[],
  };
  for (let i = 0; i < runs; i++) {
    const worker = await spawnReady([OPSQ_CLI, "worker", module], env, { cwd: ROOT });
    figures.startupMs.push(worker.readyMs);
    figures.shutdownMs.push(await worker.stop());
    figures.exitCodes.push(worker.child.exitCode);
  }
  return figures;
}

/**
 * `opsq worker ops-core/actors` against the live PostgreSQL: the task store and the agent runtime
 * load on the first task, but the Cancellation middleware loads the cancels at boot, in parallel
 * with the RabbitMQ connection.
 */
export async function measureOpsCoreStartup(context: BenchContext, runs = 5): Promise<StartupFigures> {
  const queue = uniqueQueue(context, "startup-ops-core");
  const env = {
    ...cleanEnv(),
    RABBITMQ_URL: context.url,
    DATABASE_URL,
    OPS_CORE_QUEUE: queue,
    OPSQ_LOG_LEVEL: "info",
  };
  const module = "ops-core/actors";
  try {
    return {
      module,
      note: "DATABASE_URL set: the worker loads cancelled task ids from PostgreSQL at boot",
      ...(await measure(module, env, runs)),
    };
  } finally {
    await deleteFamilies(context, [queue]);
  }
}

/** The same for the benchmark's one-actor fixture (opsq alone, no application code). */
export async function measureFixtureStartup(context: BenchContext, runs = 5): Promise<StartupFigures> {
  const queue = uniqueQueue(context, "startup-fixture");
  const env = { ...cleanEnv(), RABBITMQ_URL: context.url, BENCH_QUEUE: queue, OPSQ_LOG_LEVEL: "info" };
  try {
    return {
      module: "bench/fixtures/stats-actors.mjs",
      note: "",
      ...(await measure(STATS_ACTORS, env, runs)),
    };
  } finally {
    await deleteFamilies(context, [queue]);
  }
}

export const medianMs = (values: number[]) => median(values);
