/**
 * Cluster scenario: a rolling restart of the three nodes, one at a time, under load, as RabbitMQ
 * documents it: each is stopped only once stopping it leaves every quorum queue a majority
 * (`rabbitmq-queues check_if_node_is_quorum_critical`), drained first (`rabbitmq-upgrade drain`:
 * its quorum leaders move away and its clients reconnect elsewhere), stopped, started, awaited
 * and revived. Nothing confirmed is lost.
 */
import {
  awaitSafeToStop,
  CLUSTER_NODES,
  drainNode,
  reviveNode,
  startNode,
  stopNode,
} from "../../packages/opsq/test/helpers/rabbitmq-cluster.js";
import { type ClusterScenario, runClusterLoad } from "../lib/cluster-load.js";
import { sleep } from "../lib/scenario.js";

export const scenario: ClusterScenario = {
  name: "cluster-rolling-restart",
  description: "rolling restart of the three nodes, one at a time, under load",
  run: (options) =>
    runClusterLoad(options, {
      name: "rolling",
      batch: 20,
      pauseMs: 20,
      workMs: 2,
      concurrency: 16,
      warmup: options.short ? 500 : 2_000,
      drainTimeoutMs: 90_000,
      faults: async (context) => {
        for (const node of CLUSTER_NODES) {
          await awaitSafeToStop(node);
          context.died(node);
          await drainNode(node);
          await stopNode(node);
          await startNode(node);
          await reviveNode(node);
          options.log(`  node ${node} restarted`);
          await sleep(options.short ? 1_000 : 3_000);
        }
      },
    }),
};
