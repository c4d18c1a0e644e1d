/**
 * Runner pools: one per (mode, module, maxRunners) in this process. A pool
 * starts runners lazily, one per attempt running at once (so at most the
 * worker's concurrency, or `maxRunners`), reuses idle ones, and replaces a
 * killed or dead runner on the next attempt. {@link closeIsolationPools}
 * kills them all; the worker calls it when it stops.
 *
 * @module
 */
import { IsolationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { type LaunchSpec, launchSpec } from "./launch.js";
import type { ResolvedIsolation } from "./options.js";
import type { RunRequest } from "./protocol.js";
import { Runner, type RunOutcome } from "./runner.js";

/** What {@link RunnerPool.run} needs besides the request. */
export interface PoolRunOptions {
  /** The attempt's signal: aborting it kills the runner (or stops the wait for one). */
  signal?: AbortSignal;
  /** The attempt's logger. */
  logger?: Logger;
}

interface Waiter {
  resolve(runner: Runner): void;
  reject(error: unknown): void;
}

/** How long closing waits for a killed runner to be gone before giving up on it. */
const EXIT_WAIT_MS = 5_000;

/** Every runner alive in this process, across pools (closed ones included until their runners exit). */
const live = new Set<Runner>();
let exitHookInstalled = false;

/** The runners of one module in one mode. */
export class RunnerPool {
  readonly #isolation: ResolvedIsolation;
  #spec: LaunchSpec | undefined;
  readonly #runners = new Set<Runner>();
  readonly #idle: Runner[] = [];
  readonly #waiting: Waiter[] = [];
  #closed = false;

  /** @param isolation the actor's validated isolation option */
  constructor(isolation: ResolvedIsolation) {
    this.#isolation = isolation;
  }

  /**
   * Runs one attempt in a free runner (started if needed).
   *
   * @throws the signal's reason when it is aborted; {@link IsolationError} when no runner could run it
   */
  async run(request: Omit<RunRequest, "type" | "id">, options: PoolRunOptions = {}): Promise<RunOutcome> {
    const runner = await this.#acquire(options.signal);
    try {
      return await runner.run(request, options);
    } finally {
      this.#release(runner);
    }
  }

  /** Kills every runner; attempts running or waiting fail with an {@link IsolationError}. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new IsolationError("the isolation pool was closed (the worker stopped)");
    for (const waiter of this.#waiting.splice(0)) {
      waiter.reject(closed);
    }
    const runners = [...this.#runners];
    for (const runner of runners) {
      runner.kill(closed);
    }
    this.#idle.length = 0;
    await waitForExits(runners);
  }

  #acquire(signal: AbortSignal | undefined): Runner | Promise<Runner> {
    if (this.#closed) {
      throw new IsolationError("the isolation pool was closed (the worker stopped)");
    }
    if (signal?.aborted) {
      throw signal.reason;
    }
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      idle.ref();
      return idle;
    }
    if (this.#runners.size < this.#isolation.maxRunners) {
      return this.#spawn();
    }
    return new Promise<Runner>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) {
          this.#waiting.splice(index, 1);
        }
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (runner) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(runner);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(runner: Runner): void {
    if (runner.dead) {
      return; // #onExit takes it out, and starts a runner for a waiter if there is one
    }
    if (this.#closed) {
      runner.kill();
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) {
      waiter.resolve(runner);
      return;
    }
    runner.unref();
    this.#idle.push(runner);
  }

  #spawn(): Runner {
    this.#spec ??= launchSpec(this.#isolation.mode, this.#isolation.moduleUrl);
    const runner = new Runner(this.#spec, (exited) => this.#onExit(exited));
    this.#runners.add(runner);
    live.add(runner);
    if (this.#isolation.mode === "process" && !exitHookInstalled) {
      exitHookInstalled = true;
      // process.exit() (a second signal, a crash) skips the worker's shutdown: kill child runners
      // synchronously so none outlives this process. Threads die with it anyway.
      process.once("exit", () => {
        for (const alive of live) {
          alive.kill();
        }
      });
    }
    return runner;
  }

  #onExit(runner: Runner): void {
    live.delete(runner);
    this.#runners.delete(runner);
    const index = this.#idle.indexOf(runner);
    if (index >= 0) {
      this.#idle.splice(index, 1);
    }
    if (!this.#closed && this.#waiting.length > 0 && this.#runners.size < this.#isolation.maxRunners) {
      const waiter = this.#waiting.shift()!;
      try {
        waiter.resolve(this.#spawn());
      } catch (error) {
        waiter.reject(error);
      }
    }
  }
}

const pools = new Map<string, RunnerPool>();

/** The pool of an isolated actor (actors with the same mode, module and maxRunners share one). */
export function poolFor(isolation: ResolvedIsolation): RunnerPool {
  const key = `${isolation.mode} ${isolation.maxRunners} ${isolation.moduleUrl}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new RunnerPool(isolation);
    pools.set(key, pool);
  }
  return pool;
}

/**
 * Kills every isolated runner of this process and waits until they are gone; isolated attempts
 * still running fail with an {@link IsolationError}. Workers call it when the last of them stops,
 * so you need it only when calling isolated handlers outside a worker. Pools start again on
 * next use.
 */
export async function closeIsolationPools(): Promise<void> {
  const closing = [...pools.values()];
  pools.clear();
  await Promise.all(closing.map((pool) => pool.close()));
  // Runners a closed pool killed earlier (a time limit) may still be on their way out.
  await waitForExits([...live]);
}

/** How many runners are alive in this process (for tests and diagnostics). */
export function liveRunnerCount(): number {
  return live.size;
}

async function waitForExits(runners: readonly Runner[]): Promise<void> {
  if (runners.length === 0) {
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  // Not unref'd: idle runners are, so this timer is what keeps the event loop alive until they exit.
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, EXIT_WAIT_MS);
  });
  await Promise.race([Promise.all(runners.map((runner) => runner.exited)), timeout]);
  clearTimeout(timer);
}
