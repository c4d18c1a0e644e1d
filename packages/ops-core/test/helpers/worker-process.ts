/**
 * `opsq worker ops-core/actors` as a real subprocess (the built CLI, cwd = repo root), with its
 * JSON log lines collected, readiness taken from its "worker ready" line, and stop/kill.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The monorepo root. */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
/** The opsq CLI, built by `npx tsc -b`. */
export const OPSQ_CLI = fileURLToPath(new URL("packages/opsq/dist/cli/main.js", `file://${REPO_ROOT}`));
/** The ops-core CLI, built by `npx tsc -b`. */
export const OPS_CORE_CLI = fileURLToPath(
  new URL("packages/ops-core/dist/cli/main.js", `file://${REPO_ROOT}`),
);

/** Variables a test must set itself: never inherited from the developer's shell. */
const OWN_VARIABLES = /^(DATABASE_|RABBITMQ_URL$|OPS_|AGENT_EXECUTION_TIMEOUT$|OPSQ_)/;

/** The parent's environment without ops-core's variables, plus `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !OWN_VARIABLES.test(key)));
  return { ...clean, ...env };
}

/** One JSON log line of the worker. */
export type WorkerLog = { msg: string; level: number } & Record<string, unknown>;

/** A running worker subprocess. */
export interface WorkerProcess {
  /** The child process. */
  readonly child: ChildProcess;
  /** Its pid. */
  readonly pid: number;
  /** JSON lines printed on stdout so far. */
  readonly logs: WorkerLog[];
  /** Raw stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a log line matches; rejects after `timeoutMs`. */
  waitForLog(predicate: (line: WorkerLog) => boolean, timeoutMs?: number): Promise<WorkerLog>;
  /** SIGTERM (graceful stop), then waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node packages/opsq/dist/cli/main.js worker ops-core/actors --concurrency <k>` and
 * resolves once it logged "worker ready".
 *
 * @throws with the worker's output when it exits or is not ready within `readyTimeoutMs`
 */
export async function spawnWorker(options: {
  env: Record<string, string>;
  concurrency?: number;
  readyTimeoutMs?: number;
  /** Options for node itself, before the script (`--cpu-prof`, say). @default none */
  nodeArgs?: readonly string[];
  /**
   * Keep parsing and collecting its log lines after "worker ready" (a benchmark turns it off,
   * so that parsing the worker's logs does not take CPU from the submissions). @default true
   */
  collectLogs?: boolean;
}): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      OPSQ_CLI,
      "worker",
      "ops-core/actors",
      "--concurrency",
      String(options.concurrency ?? 2),
    ],
    { cwd: REPO_ROOT, env: childEnv(options.env), stdio: ["ignore", "pipe", "pipe"] },
  );
  const logs: WorkerLog[] = [];
  let raw = "";
  let pending = "";
  const listeners = new Set<() => void>();
  let ready = false;
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    if (ready && options.collectLogs === false) return;
    raw += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as WorkerLog);
      } catch {
        // not a log line
      }
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    raw += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
      for (const listener of [...listeners]) listener();
    }),
  );
  const waitForLog = (predicate: (line: WorkerLog) => boolean, timeoutMs = 10_000) =>
    new Promise<WorkerLog>((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(
            new Error(`worker exited (${child.exitCode ?? child.signalCode}) before the log line:\n${raw}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching worker log line within ${timeoutMs} ms:\n${raw}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  const worker: WorkerProcess = {
    child,
    pid: child.pid!,
    logs,
    output: () => raw,
    exited,
    waitForLog,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
    kill: () => {
      child.kill("SIGKILL");
      return exited;
    },
  };
  try {
    await waitForLog((line) => line.msg === "worker ready", options.readyTimeoutMs ?? 15_000);
    ready = true;
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return worker;
}
