/**
 * Scenario 3 (disruptive): PostgreSQL restarted (`pg_ctlcluster … restart`) while agent tasks
 * are submitted and run. Tasks retry and complete; each ends exactly once; none is lost or
 * left running; the worker never exits.
 */
import { runOpsCoreLoad } from "../lib/ops-load.js";
import { ensurePostgresRunning, hasPgCtlcluster, pgCtlcluster, waitForPostgres } from "../lib/pg.js";
import { type Scenario, skipped } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "postgres-restart",
  description: "PostgreSQL restarted under ops-core load; tasks retry and complete exactly once",
  disruptive: true,
  async run(options) {
    if (!(await hasPgCtlcluster())) {
      return skipped("pg_ctlcluster is not available");
    }
    try {
      return await runOpsCoreLoad(options, {
        name: "pgrestart",
        tasks: options.short ? 50 : 400,
        batch: 10,
        pauseMs: options.short ? 100 : 150,
        llmDelayMs: 200,
        concurrency: 8,
        // Retries must outlast the outage: up to 20, backoff 0.5 s doubling to 4 s.
        env: { OPS_CORE_MAX_RETRIES: "20", OPS_CORE_MIN_BACKOFF_MS: "500", OPS_CORE_MAX_BACKOFF_MS: "4000" },
        faults: options.short ? 1 : 2,
        faultEveryMs: 3_000,
        workerMustSurvive: true,
        drainTimeoutMs: 90_000,
        retrySubmissions: true,
        async fault(context) {
          await pgCtlcluster("restart");
          context.tally.check(
            await waitForPostgres(options.databaseUrl, 60_000),
            "PostgreSQL did not answer SELECT 1 within 60 s of the restart",
          );
        },
      });
    } finally {
      await ensurePostgresRunning(options.databaseUrl);
    }
  },
};
