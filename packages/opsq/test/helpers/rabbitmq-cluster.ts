/**
 * The local three-node RabbitMQ cluster of `scripts/rabbitmq-cluster.sh` (nodes 1..3 on AMQP
 * ports 5673..5675), for the cluster tests and the cluster chaos suite: its URLs, which node
 * leads a quorum queue or holds a connection, and node faults (kill -9, stop_app, restart).
 * This module does not import vitest: the chaos suite loads it too.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The cluster script. */
export const CLUSTER_SCRIPT = fileURLToPath(
  new URL("../../../../scripts/rabbitmq-cluster.sh", import.meta.url),
);

/** A node of the local cluster: 1, 2 or 3. */
export type ClusterNode = 1 | 2 | 3;

/** Every node, in order. */
export const CLUSTER_NODES: readonly ClusterNode[] = [1, 2, 3];

/** Runs the cluster script with `args`; its stdout, trimmed. Bounded by `timeoutMs`. */
export async function clusterScript(args: readonly string[], timeoutMs = 180_000): Promise<string> {
  const { stdout } = await run(CLUSTER_SCRIPT, [...args], { timeout: timeoutMs });
  return stdout.trim();
}

/**
 * The cluster's URLs from `RABBITMQ_URLS` (set by `rabbitmq-cluster.sh run`), in node order.
 * @throws Error naming the script when the variable is missing
 */
export function clusterUrls(): string[] {
  const urls = (process.env.RABBITMQ_URLS ?? "").split(",").filter(Boolean);
  if (urls.length !== 3) {
    throw new Error(
      "RABBITMQ_URLS must list the three nodes of the local cluster: run through `npm run test:cluster` (scripts/rabbitmq-cluster.sh run -- …)",
    );
  }
  return urls;
}

/** The node leading quorum queue `queue`. */
export async function leaderOf(queue: string): Promise<ClusterNode> {
  return Number(await clusterScript(["leader", queue], 30_000)) as ClusterNode;
}

/** The nodes holding connections named `connectionName` (none when it has no connection). */
export async function nodesOf(connectionName: string): Promise<ClusterNode[]> {
  const out = await clusterScript(["nodes-of", connectionName], 30_000);
  return out === "" ? [] : (out.split(" ").map(Number) as ClusterNode[]);
}

/** `kill -9` of node `node`'s Erlang VM. */
export async function killNode(node: ClusterNode): Promise<void> {
  await clusterScript(["kill", String(node)], 30_000);
}

/** Starts node `node` (after a kill or a stop) and waits until it runs. */
export async function startNode(node: ClusterNode): Promise<void> {
  await clusterScript(["start-node", String(node)]);
}

/** Stops node `node` gracefully (`rabbitmqctl stop`). */
export async function stopNode(node: ClusterNode): Promise<void> {
  await clusterScript(["stop-node", String(node)], 60_000);
}

/** `rabbitmqctl stop_app` on node `node`. */
export async function stopApp(node: ClusterNode): Promise<void> {
  await clusterScript(["stop-app", String(node)], 60_000);
}

/** `rabbitmqctl start_app` on node `node`, then waits until it runs. */
export async function startApp(node: ClusterNode): Promise<void> {
  await clusterScript(["start-app", String(node)]);
}

/** Waits until stopping node `node` would leave every quorum queue a majority. */
export async function awaitSafeToStop(node: ClusterNode): Promise<void> {
  await clusterScript(["await-safe", String(node)]);
}

/** Maintenance mode: node `node` hands its quorum queue leaders to other nodes and closes its client connections. */
export async function drainNode(node: ClusterNode): Promise<void> {
  await clusterScript(["drain", String(node)], 120_000);
}

/** Node `node` out of maintenance mode. */
export async function reviveNode(node: ClusterNode): Promise<void> {
  await clusterScript(["revive", String(node)], 60_000);
}

/** Starts every node that is down or app-stopped, and waits until each runs. */
export async function healCluster(): Promise<void> {
  const status = await clusterScript(["status"], 60_000);
  for (const node of CLUSTER_NODES) {
    const line = status.split("\n").find((entry) => entry.startsWith(`opsq-c${node}@`)) ?? "";
    if (line.includes(" app-stopped")) {
      await startApp(node);
    } else if (!line.includes(" running")) {
      await startNode(node);
    }
  }
}
