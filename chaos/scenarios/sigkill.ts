/**
 * Scenario 1 (opsq): `opsq worker` SIGKILLed several times mid-load, restarted each time.
 * Every confirmed message is processed at least once; nothing is dead-lettered.
 */
import { sigkillAndRestart } from "../lib/faults.js";
import { runLoadWithFaults } from "../lib/load.js";
import type { Scenario } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "sigkill",
  description: "worker SIGKILLed mid-load and restarted, several times (--processes 1)",
  disruptive: false,
  run: (options) =>
    runLoadWithFaults(options, {
      name: "sigkill",
      count: options.short ? 1_200 : 10_000,
      batch: 50,
      workMs: 40,
      processes: 1,
      concurrency: 16,
      faults: options.short ? 2 : 5,
      durationMs: options.short ? 3_000 : 20_000,
      workerMustSurvive: false,
      drainTimeoutMs: 60_000,
      // Mid-load: messages are running, buffered and unacked when the process dies.
      fault: sigkillAndRestart,
    }),
};
