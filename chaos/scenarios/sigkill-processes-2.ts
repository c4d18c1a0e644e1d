/**
 * Scenario 1 (opsq, `--processes 2`): worker processes of a supervisor SIGKILLed several
 * times mid-load; the supervisor restarts them. Every confirmed message is processed at least
 * once; nothing is dead-lettered; the supervisor itself stays up and exits 0 on SIGTERM.
 */
import { runLoadWithFaults } from "../lib/load.js";
import type { Scenario } from "../lib/scenario.js";
import { killPid } from "../lib/worker.js";

export const scenario: Scenario = {
  name: "sigkill-processes-2",
  description: "worker processes of `--processes 2` SIGKILLed mid-load; the supervisor restarts them",
  disruptive: false,
  run: (options) =>
    runLoadWithFaults(options, {
      name: "sigkill2",
      count: options.short ? 1_200 : 10_000,
      batch: 50,
      workMs: 40,
      processes: 2,
      concurrency: 8,
      // At most 3 kills per process: the supervisor gives up after 5 restarts in a row.
      faults: options.short ? 2 : 5,
      durationMs: options.short ? 3_000 : 20_000,
      workerMustSurvive: true,
      drainTimeoutMs: 60_000,
      async fault(context) {
        const supervisor = context.worker;
        const children = supervisor.currentChildren();
        const index = ((context.round - 1) % 2) + 1;
        const pid = children.get(index);
        if (pid === undefined) {
          throw new Error(`no live worker process ${index} (known: ${[...children].join(" ")})`);
        }
        const readyBefore = supervisor.readyLines.length;
        killPid(pid);
        await supervisor.waitFor(
          () => supervisor.readyLines.length > readyBefore,
          `worker process ${index} restarted after SIGKILL`,
          20_000,
        );
      },
      afterDrain(context) {
        const restarts = context.worker.count("worker process died; restarting it");
        context.tally.check(restarts >= 2, `the supervisor reported ${restarts} restart(s)`);
        context.tally.note(`the supervisor restarted ${restarts} killed worker process(es)`);
      },
    }),
};
