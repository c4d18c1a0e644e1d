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

/** An unreachable PostgreSQL URL: the actors module must not connect at import, so it is never used. */
const UNREACHABLE_DATABASE_URL = "postgres://bench:unused@127.0.0.1:9/unused";

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
 * `opsq worker ops-core/actors` with DATABASE_URL unset; should the module insist on one, again with
 * an unreachable DATABASE_URL (which also shows it does not connect at import).
 */
export async function measureOpsCoreStartup(context: BenchContext, runs = 5): Promise<StartupFigures> {
  const queue = uniqueQueue(context, "startup-ops-core");
  const base = { ...cleanEnv(), RABBITMQ_URL: context.url, OPS_CORE_QUEUE: queue, OPSQ_LOG_LEVEL: "info" };
  const module = "ops-core/actors";
  try {
    try {
      return { module, note: "DATABASE_URL unset", ...(await measure(module, base, runs)) };
    } catch (error) {
      if (!/DATABASE_URL/.test(String(error))) throw error;
      const env = { ...base, DATABASE_URL: UNREACHABLE_DATABASE_URL };
      return {
        module,
        note: `the module refuses to start without DATABASE_URL, so it was set to an unreachable address (${UNREACHABLE_DATABASE_URL}): the module does not connect at import`,
        ...(await measure(module, env, runs)),
      };
    }
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
