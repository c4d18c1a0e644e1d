/**
 * Scenario (disruptive): PostgreSQL stopped for 15 s under ops-core load, with the worker on
 * its DEFAULT settings (3 retries, backoff from 1 s): the retries of the tasks caught by the
 * outage are spent inside it, and messages are dead-lettered. What must still hold: no task
 * stays `running` (or `pending`), and each ends exactly once (one terminal transition in the
 * audit table) — completed, or failed with its reason. The worker never exits.
 *
 * Before ops-core's heartbeats, stale-task reaper and background final writes, the tasks
 * whose final write met the outage stayed `running` forever (issue 10, item 1).
 */
import { runOpsCoreLoad } from "../lib/ops-load.js";
import { ensurePostgresRunning, hasPgCtlcluster, pgCtlcluster, waitForPostgres } from "../lib/pg.js";
import { type Scenario, skipped, sleep } from "../lib/scenario.js";

/** How long PostgreSQL stays down: well past the default retries (1 + 2 + 4 s of backoff). */
const OUTAGE_MS = 15_000;

export const scenario: Scenario = {
  name: "postgres-outage",
  description:
    "PostgreSQL stopped 15 s under ops-core load with default retries; no task left running, each ends once",
  disruptive: true,
  async run(options) {
    if (!(await hasPgCtlcluster())) {
      return skipped("pg_ctlcluster is not available");
    }
    try {
      return await runOpsCoreLoad(options, {
        name: "pgoutage",
        tasks: options.short ? 40 : 120,
        batch: 8,
        pauseMs: options.short ? 250 : 150,
        // As in the report: a worker running 8 tasks against a 3 s LLM.
        llmDelayMs: 3_000,
        concurrency: 8,
        // No env: the default OPS_CORE_* retry policy.
        faults: 1,
        faultEveryMs: 0,
        workerMustSurvive: true,
        drainTimeoutMs: 180_000,
        retrySubmissions: true,
        outcome: "terminal",
        async fault(context) {
          await pgCtlcluster("stop");
          try {
            await sleep(OUTAGE_MS);
          } finally {
            await pgCtlcluster("start");
          }
          context.tally.check(
            await waitForPostgres(options.databaseUrl, 60_000),
            "PostgreSQL did not answer SELECT 1 within 60 s of its start",
          );
        },
      });
    } finally {
      await ensurePostgresRunning(options.databaseUrl);
    }
  },
};
