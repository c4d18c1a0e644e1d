/**
 * Cluster scenario: `rabbitmqctl stop_app` on the node leading the queue for 30 s (10 s in the
 * short mode), under load, then `start_app`. Its clients lose their connections and move to the
 * other nodes; nothing confirmed is lost.
 */
import { leaderOf, startApp, stopApp } from "../../packages/opsq/test/helpers/rabbitmq-cluster.js";
import { type ClusterScenario, runClusterLoad } from "../lib/cluster-load.js";
import { sleep } from "../lib/scenario.js";

export const scenario: ClusterScenario = {
  name: "cluster-stop-app",
  description: "stop_app of the node leading the queue for 30 s (short: 10 s) under load, then start_app",
  run: (options) =>
    runClusterLoad(options, {
      name: "stop-app",
      batch: 20,
      pauseMs: 20,
      workMs: 2,
      concurrency: 16,
      warmup: options.short ? 500 : 2_000,
      drainTimeoutMs: 90_000,
      faults: async (context) => {
        const leader = await leaderOf(context.queue);
        context.died(leader);
        await stopApp(leader);
        await sleep(options.short ? 10_000 : 30_000);
        await startApp(leader);
        options.log(`  node ${leader} stopped and started again`);
      },
    }),
};
