/**
 * Scenario 1 (ops-core): `opsq worker ops-core/actors` SIGKILLed several times while agent
 * tasks run, restarted each time. Every task ends `completed` exactly once in PostgreSQL
 * (counted by an audit trigger), none is left `running`, nothing is dead-lettered.
 */
import { sigkillAndRestart } from "../lib/faults.js";
import { runOpsCoreLoad } from "../lib/ops-load.js";
import type { Scenario } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "ops-core-sigkill",
  description: "ops-core worker SIGKILLed while agent tasks run; each task ends exactly once",
  disruptive: false,
  run: (options) =>
    runOpsCoreLoad(options, {
      name: "opskill",
      tasks: options.short ? 50 : 400,
      batch: 10,
      pauseMs: options.short ? 100 : 150,
      llmDelayMs: 300,
      concurrency: 8,
      faults: options.short ? 2 : 4,
      faultEveryMs: options.short ? 700 : 1_500,
      workerMustSurvive: false,
      drainTimeoutMs: 60_000,
      retrySubmissions: false,
      fault: sigkillAndRestart,
    }),
};
