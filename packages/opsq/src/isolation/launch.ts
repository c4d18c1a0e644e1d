/**
 * How to start a runner: its entry script and, for TypeScript, tsx.
 *
 * Node 20 does not pass loader hooks to worker threads (neither hooks that
 * `module.register` installed in the parent nor an `--import` in the thread's
 * `execArgv`), so a thread registers tsx itself before importing the entry;
 * a child process gets `--import tsx` on its command line, which works there.
 * tsx is needed when the actor module is TypeScript, or when opsq itself runs
 * from source (its tests).
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { IsolationError } from "../errors.js";
import { resolvePackage } from "../package-resolution.js";
import type { IsolationMode } from "./options.js";

/** Everything needed to start runners of one pool. */
export interface LaunchSpec {
  /** A worker thread or a child process. */
  readonly mode: IsolationMode;
  /** The actor module's `file:` URL. */
  readonly moduleUrl: string;
  /** The runner's entry script (`runner-main.js`, or `.ts` when opsq runs from source). */
  readonly entryUrl: string;
  /** tsx, when the entry or the module is TypeScript. */
  readonly tsx?: {
    /** `tsx/esm/api` (its `register()`), for threads. */
    readonly apiUrl: string;
    /** `tsx` (the `--import` loader), for child processes. */
    readonly loaderUrl: string;
  };
}

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const ENTRY_URL = new URL(FROM_SOURCE ? "./runner-main.ts" : "./runner-main.js", import.meta.url).href;
const TYPESCRIPT = /\.[cm]?tsx?$/;
const OPSQ_DIR = fileURLToPath(new URL(".", import.meta.url));

/**
 * The launch spec of a pool.
 *
 * @throws IsolationError when TypeScript needs tsx and it cannot be found
 */
export function launchSpec(mode: IsolationMode, moduleUrl: string): LaunchSpec {
  const modulePath = fileURLToPath(moduleUrl);
  if (!FROM_SOURCE && !TYPESCRIPT.test(modulePath)) {
    return { mode, moduleUrl, entryUrl: ENTRY_URL };
  }
  // The project's own tsx first, else the one next to opsq (as `opsq worker` does).
  for (const from of [dirname(modulePath), OPSQ_DIR]) {
    try {
      return {
        mode,
        moduleUrl,
        entryUrl: ENTRY_URL,
        tsx: {
          apiUrl: pathToFileURL(resolvePackage("tsx/esm/api", from)).href,
          loaderUrl: pathToFileURL(resolvePackage("tsx", from)).href,
        },
      };
    } catch {
      // try the next place
    }
  }
  throw new IsolationError(
    `cannot isolate the actors of ${modulePath}: a TypeScript module needs tsx in its runner (npm install --save-dev tsx), or compile it to JavaScript`,
  );
}
