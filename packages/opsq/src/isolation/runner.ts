/**
 * The parent's side of one isolated runner: a worker thread or a child
 * process that imported the actor module and runs one attempt at a time.
 * Aborting the attempt's signal kills the runner (`terminate()` / SIGKILL);
 * a runner that dies by itself fails the attempt it was running with an
 * {@link IsolationError} saying how it died.
 *
 * @module
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { IsolationError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { SerializedError } from "./error-transfer.js";
import type { LaunchSpec } from "./launch.js";
import type { RunnerReply, RunRequest } from "./protocol.js";
import { UnencodableResult } from "./unencodable-result.js";

/** How an attempt in a runner ended: the handler's result, or what it threw. */
export type RunOutcome = { ok: true; value: unknown } | { ok: false; error: SerializedError };

/** What {@link Runner.run} needs besides the request. */
export interface RunOptions {
  /** Aborting it kills the runner and rejects with its reason. */
  signal?: AbortSignal;
  /** Where to say that the runner was killed. */
  logger?: Logger;
}

interface Transport {
  readonly id: number;
  send(request: RunRequest): void;
  kill(): void;
  ref(): void;
  unref(): void;
}

interface Pending {
  readonly id: number;
  readonly actorName: string;
  resolve(outcome: RunOutcome): void;
  reject(error: unknown): void;
}

// Runs in the thread (as a CommonJS script): registers tsx when asked, then imports the entry.
const THREAD_BOOTSTRAP = `const { workerData } = require("node:worker_threads");
(workerData.tsxApiUrl ? import(workerData.tsxApiUrl).then((tsx) => tsx.register()) : Promise.resolve())
  .then(() => import(workerData.entryUrl));`;

/** One isolated runner. */
export class Runner {
  /** `thread <threadId>` or `process <pid>`, for logs and errors. */
  readonly description: string;
  /** Resolves once the runner has exited. */
  readonly exited: Promise<void>;
  readonly #transport: Transport;
  readonly #onExit: (runner: Runner) => void;
  #pending: Pending | undefined;
  #nextId = 0;
  #crash: string | undefined;
  #dead = false;
  #gone = false;
  #resolveExited!: () => void;

  /**
   * Starts a runner.
   *
   * @param spec what to start
   * @param onExit called once when it has exited, however it ended
   */
  constructor(spec: LaunchSpec, onExit: (runner: Runner) => void) {
    this.#onExit = onExit;
    this.exited = new Promise((resolve) => {
      this.#resolveExited = resolve;
    });
    this.#transport = spec.mode === "thread" ? this.#startThread(spec) : this.#startProcess(spec);
    this.description = `${spec.mode} ${this.#transport.id}`;
  }

  /** True once the runner has exited (or was killed). */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Runs one attempt. Resolves with the handler's outcome; rejects with the signal's reason when
   * it is aborted (the runner is killed), or with an {@link IsolationError} when the runner dies.
   */
  run(request: Omit<RunRequest, "type" | "id">, options: RunOptions = {}): Promise<RunOutcome> {
    const { signal, logger } = options;
    if (this.#dead) {
      return Promise.reject(new IsolationError(`isolated runner ${this.description} has exited`));
    }
    if (this.#pending !== undefined) {
      return Promise.reject(new IsolationError(`isolated runner ${this.description} is busy`));
    }
    if (signal?.aborted) {
      return Promise.reject(signal.reason);
    }
    return new Promise<RunOutcome>((resolve, reject) => {
      const onAbort = () => {
        logger?.warn(
          { runner: this.description, reason: (signal?.reason as Error | undefined)?.name },
          "attempt aborted; isolated runner killed",
        );
        this.kill(signal?.reason);
      };
      const done = () => {
        this.#pending = undefined;
        signal?.removeEventListener("abort", onAbort);
      };
      const id = ++this.#nextId;
      this.#pending = {
        id,
        actorName: request.actorName,
        resolve: (outcome) => {
          done();
          resolve(outcome);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        this.#transport.send({ type: "run", id, ...request });
      } catch (error) {
        // Nothing reached the runner (arguments that cannot be cloned): it stays usable.
        this.#pending.reject(
          new IsolationError(
            `cannot send the arguments of actor "${request.actorName}" to isolated runner ${this.description}: ${(error as Error).message}`,
            { cause: error },
          ),
        );
      }
    });
  }

  /** Kills the runner now; a running attempt is rejected with `reason`. */
  kill(reason: unknown = new IsolationError(`isolated runner ${this.description} was killed`)): void {
    this.#pending?.reject(reason);
    if (!this.#dead) {
      this.#dead = true;
      this.#transport.kill();
    }
  }

  /** Lets it keep the parent's event loop alive (while it runs an attempt). */
  ref(): void {
    this.#transport.ref();
  }

  /** Stops it from keeping the parent's event loop alive (while it is idle). */
  unref(): void {
    this.#transport.unref();
  }

  #onReply(reply: RunnerReply): void {
    if (reply.type === "crashed") {
      this.#crash = `${reply.error.name}: ${reply.error.message}`;
      return;
    }
    const pending = this.#pending;
    if (pending === undefined || pending.id !== reply.id) {
      return;
    }
    if (reply.type === "done") {
      const { json, unencodable } = reply;
      const value =
        unencodable !== undefined
          ? new UnencodableResult(unencodable.name, unencodable.message)
          : json === undefined
            ? undefined
            : JSON.parse(json);
      pending.resolve({ ok: true, value });
    } else {
      pending.resolve({ ok: false, error: reply.error });
    }
  }

  #exit(how: string): void {
    if (this.#gone) {
      return;
    }
    this.#gone = true;
    this.#dead = true;
    const pending = this.#pending;
    pending?.reject(this.#deathError(pending.actorName, how));
    this.#resolveExited();
    this.#onExit(this);
  }

  #deathError(actorName: string, how: string): IsolationError {
    const crash = this.#crash === undefined ? "" : ` (${this.#crash})`;
    return new IsolationError(
      `isolated runner ${this.description} ${how} while running actor "${actorName}"${crash}`,
    );
  }

  #startThread(spec: LaunchSpec): Transport {
    const worker = new Worker(THREAD_BOOTSTRAP, {
      eval: true,
      workerData: { entryUrl: spec.entryUrl, moduleUrl: spec.moduleUrl, tsxApiUrl: spec.tsx?.apiUrl },
    });
    worker.on("message", (reply: RunnerReply) => this.#onReply(reply));
    worker.on("error", (error: Error) => {
      this.#crash = `${error.name}: ${error.message}`;
    });
    worker.once("exit", (code) => this.#exit(`exited with code ${code}`));
    return {
      id: worker.threadId,
      send: (request) => worker.postMessage(request),
      kill: () => void worker.terminate(),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
  }

  #startProcess(spec: LaunchSpec): Transport {
    const execArgv = [...process.execArgv];
    if (spec.tsx !== undefined && !execArgv.some((arg) => arg.includes("tsx"))) {
      execArgv.push("--import", spec.tsx.loaderUrl);
    }
    const child: ChildProcess = fork(fileURLToPath(spec.entryUrl), [spec.moduleUrl], {
      execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "json",
    });
    child.on("message", (reply: RunnerReply) => this.#onReply(reply));
    child.on("error", (error) => {
      this.#crash ??= `${error.name}: ${error.message}`;
      if (child.pid === undefined) {
        this.#exit("could not start");
      }
    });
    child.once("exit", (code, signal) =>
      this.#exit(signal === null ? `exited with code ${code}` : `was killed by ${signal}`),
    );
    return {
      id: child.pid ?? -1,
      send: (request) => {
        child.send(request, (error) => {
          // The channel closed under it: the exit that follows fails the attempt.
          if (error !== null && error !== undefined) {
            this.#crash ??= `${error.name}: ${error.message}`;
          }
        });
      },
      kill: () => void child.kill("SIGKILL"),
      ref: () => {
        child.ref();
        child.channel?.ref();
      },
      unref: () => {
        child.unref();
        child.channel?.unref();
      },
    };
  }
}
