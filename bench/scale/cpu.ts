/** CPU use during a cell: the whole machine's and that of the RabbitMQ nodes of the target. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { machineBusyMs } from "../lib/machine.js";

/** Cores busy on average over a span (out of `cores`). */
export interface CpuUse {
  /** Whole machine: everything running, other people's jobs included. */
  machineCores: number;
  /**
   * The target's RabbitMQ nodes (the cluster's three, or the 5672 node: others' use of it included),
   * NaN when unreadable.
   */
  rabbitCores: number;
}

/** The number of cores of the machine. */
export const cores = cpus().length;

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** Where scripts/rabbitmq-cluster.sh keeps its nodes: their command lines name it. */
const CLUSTER_DIR = process.env.OPSQ_CLUSTER_DIR ?? "/tmp/opsq-rabbitmq-cluster";

/** The beam.smp processes of the cluster's nodes, or of the others (the 5672 node). */
function beamPids(cluster: boolean): number[] {
  try {
    return execFileSync("pgrep", ["-f", "beam.smp"], { encoding: "utf8", timeout: 5_000 })
      .split("\n")
      .filter(Boolean)
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(CLUSTER_DIR) === cluster;
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** utime + stime of the given processes, ms (a process gone counts 0). */
function processesMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return (ticks * 1000) / TICKS_PER_S;
}

/** Starts measuring (RabbitMQ: the cluster's nodes or the others); the returned function gives the cores used since. */
export function startCpu(cluster: boolean): () => CpuUse {
  const pids = beamPids(cluster);
  const started = performance.now();
  const machine = machineBusyMs();
  const rabbit = processesMs(pids);
  return () => {
    const wallMs = performance.now() - started;
    return {
      machineCores: (machineBusyMs() - machine) / wallMs,
      rabbitCores: pids.length === 0 ? Number.NaN : (processesMs(pids) - rabbit) / wallMs,
    };
  };
}
