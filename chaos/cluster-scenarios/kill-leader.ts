/**
 * Cluster scenario: `kill -9` of the node leading the queue, under load, then the node started
 * again (before the next fault). Nothing confirmed is lost, both workers resume by themselves.
 */
import { killNode, leaderOf, startNode } from "../../packages/opsq/test/helpers/rabbitmq-cluster.js";
import { type ClusterScenario, runClusterLoad } from "../lib/cluster-load.js";
import { sleep } from "../lib/scenario.js";

export const scenario: ClusterScenario = {
  name: "cluster-kill-leader",
  description: "kill -9 of the node leading the quorum queue, under load, then the node restarted",
  run: (options) =>
    runClusterLoad(options, {
      name: "kill-leader",
      batch: 20,
      pauseMs: 20,
      workMs: 2,
      concurrency: 16,
      warmup: options.short ? 500 : 2_000,
      drainTimeoutMs: 90_000,
      faults: async (context) => {
        const rounds = options.short ? 1 : 3;
        for (let round = 1; round <= rounds; round++) {
          const leader = await leaderOf(context.queue);
          await killNode(leader);
          context.died(leader);
          // Let the cluster run without it for a while, then bring it back.
          await sleep(options.short ? 5_000 : 10_000);
          await startNode(leader);
          options.log(`  fault ${round}/${rounds}: node ${leader} killed and started again`);
          await sleep(options.short ? 2_000 : 5_000);
        }
      },
    }),
};
