/**
 * `ops-core serve` as a real subprocess (the built CLI, cwd = repo root) on a free port: ready
 * once it prints its "listening on" line, with its output collected, and stop/kill.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { childEnv, OPS_CORE_CLI, REPO_ROOT } from "./worker-process.js";

/** A running `ops-core serve`. */
export interface ServerProcess {
  /** The child process. */
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node packages/ops-core/dist/cli/main.js serve --port 0 [args]` with `env` (and no
 * inherited ops-core variables) and resolves once it listens.
 *
 * @throws with the server's output when it exits or does not listen within `readyTimeoutMs`
 */
export async function spawnServer(options: {
  env: Record<string, string>;
  args?: string[];
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [OPS_CORE_CLI, "serve", "--port", "0", ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let raw = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`ops-core serve did not listen within ${options.readyTimeoutMs ?? 15_000} ms:\n${raw}`),
      );
    }, options.readyTimeoutMs ?? 15_000);
    const onData = (chunk: string) => {
      raw += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(raw);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.setEncoding("utf8").on("data", onData);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      raw += chunk;
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`ops-core serve exited (${code ?? signal}) before listening:\n${raw}`));
    });
  });
  const baseUrl = await listening;
  return {
    child,
    baseUrl,
    output: () => raw,
    exited,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
