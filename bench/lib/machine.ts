/** The machine the figures were measured on. */
import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";

export interface Machine {
  date: string;
  nproc: string;
  cpu: string;
  memoryGb: number;
  node: string;
  rabbitmq: string;
  os: string;
  loadStart: string;
  loadEnd?: string;
}

function run(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 20_000,
    })
      .trim()
      .split("\n")
      .at(-1);
  } catch {
    return undefined;
  }
}

export const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" / ");

/** `serverVersion` is what the AMQP handshake reported, used when `rabbitmqctl` is not available. */
export function describeMachine(serverVersion: string | undefined): Machine {
  return {
    date: new Date().toISOString(),
    nproc: run("nproc", []) ?? String(cpus().length),
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGb: totalmem() / 2 ** 30,
    node: process.version,
    rabbitmq:
      run("rabbitmqctl", ["version"]) ??
      `${serverVersion ?? "unknown"} (AMQP handshake; rabbitmqctl unavailable)`,
    os: `${process.platform} ${release()}`,
    loadStart: loadAverage(),
  };
}

/**
 * Busy CPU time of the whole machine so far (user + nice + sys + irq over every core, from
 * `os.cpus()`), in ms: RabbitMQ and anything else running is counted too.
 */
export function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}
