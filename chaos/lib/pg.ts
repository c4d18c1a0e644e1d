/**
 * PostgreSQL plumbing: readiness by a real `SELECT 1` (the ops-core test helper), and a
 * restart of the local cluster with `pg_ctlcluster` that always leaves it running.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { probePostgres } from "../../packages/ops-core/test/helpers/postgres.js";
import { sleep } from "./scenario.js";

export { probePostgres };

const run = promisify(execFile);

let cluster: Promise<string[]> | undefined;

/**
 * `pg_ctlcluster`'s version and cluster name: `CHAOS_PG_CLUSTER` ("15 main"), else the first
 * cluster `pg_lsclusters` lists on port 5432, else "15 main".
 */
function clusterArgs(): Promise<string[]> {
  cluster ??= (async () => {
    if (process.env.CHAOS_PG_CLUSTER) {
      return process.env.CHAOS_PG_CLUSTER.trim().split(/\s+/);
    }
    try {
      const { stdout } = await run("pg_lsclusters", ["--no-header"], { timeout: 10_000 });
      const rows = stdout
        .trim()
        .split("\n")
        .map((line) => line.trim().split(/\s+/));
      const row = rows.find((fields) => fields[2] === "5432") ?? rows[0];
      if (row && row.length >= 2) {
        return [row[0]!, row[1]!];
      }
    } catch {
      // fall through
    }
    return ["15", "main"];
  })();
  return cluster;
}

/** Waits until `SELECT 1` works; false after `timeoutMs`. */
export async function waitForPostgres(url: string, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await probePostgres(url)) === null) {
      return true;
    }
    if (Date.now() > deadline) {
      return false;
    }
    await sleep(250);
  }
}

/** True when `pg_ctlcluster` is usable here (it needs root or the postgres user). */
export async function hasPgCtlcluster(): Promise<boolean> {
  try {
    await run("pg_ctlcluster", [...(await clusterArgs()), "status"], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** `pg_ctlcluster --skip-systemctl-redirect <cluster> <action>`. */
export async function pgCtlcluster(action: "restart" | "start" | "stop"): Promise<void> {
  await run("pg_ctlcluster", ["--skip-systemctl-redirect", ...(await clusterArgs()), action], {
    timeout: 60_000,
  });
}

/** Starts the cluster when `SELECT 1` fails, then waits for `SELECT 1`. For `finally` blocks. */
export async function ensurePostgresRunning(url: string): Promise<boolean> {
  if ((await probePostgres(url)) === null) {
    return true;
  }
  await pgCtlcluster("start").catch(() => {});
  return waitForPostgres(url, 120_000);
}
