/**
 * `node packages/opsq/dist/cli/main.js worker <module>` as a real subprocess: its stdout and
 * stderr go to a log file (and are parsed as pino JSON lines), readiness comes from its
 * "worker ready" lines, and the chaos scenarios signal it, kill it and time its exit.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type Exit,
  type LogLine,
  BIN as OPSQ_CLI,
  parseLogLine,
  REPO_ROOT,
} from "../../packages/opsq/test/fixtures/cli/cli-process.js";

export type { Exit, LogLine };
/** The monorepo root, and the built opsq CLI (the same as the CLI tests'). */
export { OPSQ_CLI, REPO_ROOT };
/** The chaos fixture actors. */
export const FIXTURE_ACTORS = fileURLToPath(new URL("../fixtures/actors.mjs", import.meta.url));

/** Variables a worker must get from the scenario, never from the developer's shell. */
const OWN_VARIABLES = /^(DATABASE_|RABBITMQ_URLS?$|OPS_|AGENT_EXECUTION_TIMEOUT$|OPSQ_|CHAOS_)/;

const alive = new Set<WorkerProcess>();

/** Options of {@link WorkerProcess.start}. */
export interface StartOptions {
  /** The module defining the actors (a path or a package specifier). */
  module: string;
  /** More CLI arguments (`--processes 2`, `--concurrency 8`…). */
  args?: readonly string[];
  /** The worker's environment, on top of the runner's (minus opsq/ops-core variables). */
  env: Record<string, string>;
  /** Where stdout and stderr are appended. */
  logFile: string;
}

/** A running `opsq worker`. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  readonly #lines: LogLine[] = [];
  readonly #log: WriteStream;
  readonly #listeners = new Set<() => void>();
  #pending = "";
  #stderr = "";
  #exit: Exit | undefined;

  private constructor(options: StartOptions) {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !OWN_VARIABLES.test(key)),
    );
    this.#log = createWriteStream(options.logFile, { flags: "a" });
    this.child = spawn(process.execPath, [OPSQ_CLI, "worker", options.module, ...(options.args ?? [])], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#log.write(chunk);
      this.#pending += chunk;
      const parts = this.#pending.split("\n");
      this.#pending = parts.pop()!;
      for (const part of parts) {
        const line = parseLogLine(part);
        if (line !== undefined) {
          this.#lines.push(line);
        }
      }
      this.#notify();
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#log.write(chunk);
      this.#stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.#exit = { code, signal };
        alive.delete(this);
        this.#log.end();
        this.#notify();
        resolve(this.#exit);
      });
    });
    alive.add(this);
  }

  /** Spawns `opsq worker`. */
  static start(options: StartOptions): WorkerProcess {
    return new WorkerProcess(options);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** How it exited, once it has. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  /** Its JSON log lines so far. */
  get lines(): readonly LogLine[] {
    return this.#lines;
  }

  /** What it wrote on stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The "worker ready" lines so far (one per worker process, restarts included). */
  get readyLines(): LogLine[] {
    return this.#lines.filter((line) => line.msg === "worker ready");
  }

  /** Log lines with this `msg`. */
  count(msg: string): number {
    return this.#lines.filter((line) => line.msg === msg).length;
  }

  /** Waits until `condition` holds; rejects when the process exits first or after `timeoutMs`. */
  waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) {
          done();
          resolve();
        } else if (!this.running) {
          done();
          reject(
            new Error(
              `the worker exited (${describeExit(this.#exit!)}) while waiting for ${what}${this.#tail()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${this.#tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits for `count` "worker ready" lines in total. */
  waitReady(count = 1, timeoutMs = 20_000): Promise<void> {
    return this.waitFor(() => this.readyLines.length >= count, `${count} "worker ready" line(s)`, timeoutMs);
  }

  /** Sends a signal to the process. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) {
      this.child.kill(signal);
    }
  }

  /** Waits for the exit; `undefined` when it did not exit within `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<Exit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A supervisor's live worker processes: the pid of the last "worker ready" line of each
   * process index, unless the supervisor reported that pid dead.
   */
  currentChildren(): Map<number, number> {
    const died = new Set(
      this.#lines
        .filter((line) => line.msg === "worker process died; restarting it")
        .map((line) => line.childPid as number),
    );
    const current = new Map<number, number>();
    for (const line of this.readyLines) {
      if (typeof line.process === "number" && line.pid !== this.pid) {
        current.set(line.process, line.pid);
      }
    }
    for (const [index, pid] of current) {
      if (died.has(pid)) {
        current.delete(index);
      }
    }
    return current;
  }

  /** SIGKILLs the process, and first a supervisor's live worker processes (they are detached). */
  async kill(): Promise<void> {
    if (this.running) {
      for (const pid of this.currentChildren().values()) {
        killPid(pid);
      }
    }
    this.signal("SIGKILL");
    await this.exited;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      listener();
    }
  }

  #tail(): string {
    const last = this.#lines
      .slice(-5)
      .map((line) => line.msg)
      .join(" | ");
    return ` (last log lines: ${last || "none"}${this.#stderr ? `; stderr: ${this.#stderr.slice(-300)}` : ""})`;
  }
}

/** SIGKILLs a process this suite started, by pid; quiet when it is already gone. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** True while a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs every worker this suite started and still running (and their reported children). */
export async function killLeftovers(): Promise<void> {
  await Promise.all([...alive].map((worker) => worker.kill()));
}

/** `code 0`, `signal SIGKILL`… */
export function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}
