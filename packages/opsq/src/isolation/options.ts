/**
 * The `isolation` actor option: run the handler in a worker thread or a child
 * process that is terminated when the attempt is aborted. Validated once, when
 * the actor is defined.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ActorDefinitionError } from "../errors.js";

/**
 * Where an isolated handler runs:
 * - `"thread"`: a `node:worker_threads` Worker, stopped with `worker.terminate()`; quicker to start
 *   (about 150 ms with the module's imports), shares the worker process's memory;
 * - `"process"`: a forked child process, killed with SIGKILL; slower to start (about 250 ms), but
 *   nothing survives the kill (a blocking native call, a runaway allocation).
 */
export type IsolationMode = "thread" | "process";

/**
 * Options of isolated actors (`defineActor(name, fn, { isolation })`).
 *
 * @example
 * ```ts
 * export const crunch = defineActor("crunch", (n: number) => fib(n), {
 *   isolation: { mode: "thread", module: import.meta.url },
 *   timeLimitMs: 5_000,
 * });
 * ```
 */
export interface IsolationOptions {
  /** A worker thread or a child process. */
  mode: IsolationMode;
  /**
   * The module that defines the actor, as a `file:` URL or an absolute path: pass
   * `import.meta.url`. The runner imports it and looks the actor up by name.
   */
  module: string | URL;
  /**
   * Most runners of this pool alive at once; further attempts wait for a free one (the wait
   * counts toward their time limit).
   * @default no limit: one runner per attempt running at once, so at most the worker's concurrency
   */
  maxRunners?: number;
}

/** Validated {@link IsolationOptions}. */
export interface ResolvedIsolation {
  /** A worker thread or a child process. */
  readonly mode: IsolationMode;
  /** The module's `file:` URL. */
  readonly moduleUrl: string;
  /** Most runners alive at once (`Infinity` when unbounded). */
  readonly maxRunners: number;
}

const KEYS = new Set(["mode", "module", "maxRunners"]);

/**
 * Validates the `isolation` option of actor `actorName`.
 *
 * @throws ActorDefinitionError with a one-line reason
 */
export function resolveIsolation(actorName: string, value: unknown): ResolvedIsolation {
  const fail = (reason: string) => new ActorDefinitionError(`actor "${actorName}": ${reason}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail(
      'option "isolation" must be an object: { mode: "thread" | "process", module: import.meta.url }',
    );
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw fail(`unknown isolation option "${key}" (expected mode, module, maxRunners)`);
    }
  }
  const { mode, module, maxRunners = Number.POSITIVE_INFINITY } = options;
  if (mode !== "thread" && mode !== "process") {
    throw fail(`isolation.mode must be "thread" or "process", got ${JSON.stringify(mode)}`);
  }
  const moduleUrl = toModuleUrl(module);
  if (moduleUrl === undefined) {
    throw fail(
      `isolation.module must be the file: URL or absolute path of the module that defines the actor (pass import.meta.url), got ${JSON.stringify(String(module))}`,
    );
  }
  if (!existsSync(fileURLToPath(moduleUrl))) {
    throw fail(`isolation.module ${fileURLToPath(moduleUrl)} does not exist`);
  }
  if (
    maxRunners !== Number.POSITIVE_INFINITY &&
    (typeof maxRunners !== "number" || !Number.isSafeInteger(maxRunners) || maxRunners < 1)
  ) {
    throw fail(`isolation.maxRunners must be a whole number ≥ 1, got ${JSON.stringify(maxRunners)}`);
  }
  return { mode, moduleUrl, maxRunners };
}

// A file: URL (string or URL object) or an absolute path, as a file: URL string.
function toModuleUrl(module: unknown): string | undefined {
  if (module instanceof URL) {
    return module.protocol === "file:" ? module.href : undefined;
  }
  if (typeof module !== "string" || module === "") {
    return undefined;
  }
  if (module.startsWith("file:")) {
    try {
      return new URL(module).href;
    } catch {
      return undefined;
    }
  }
  return isAbsolute(module) ? pathToFileURL(module).href : undefined;
}
