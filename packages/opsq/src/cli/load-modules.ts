/**
 * Loads the modules given to `opsq worker` and finds the broker their actors
 * are registered on: a module's `broker` export, else the broker of the actors
 * it exports, else the global broker. TypeScript modules are loaded through
 * tsx, registered only when one is given.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Actor } from "../actor.js";
import { Broker, getBroker, hasBroker } from "../broker.js";
import { redactUrl } from "../logger.js";
import { resolvePackage } from "../package-resolution.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** The modules loaded and the broker holding their actors. */
export interface LoadedModules {
  /** The broker to run a worker on. */
  readonly broker: Broker;
  /** Each module as given, with the file it resolved to. */
  readonly modules: readonly { readonly specifier: string; readonly file: string }[];
}

const EXTENSIONS = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"];
const KNOWN_EXTENSION = /\.[cm]?[jt]s$/;
const TYPESCRIPT = /\.[cm]?ts$|\.tsx$/;
/** opsq's own files: stack frames there are not where a module went wrong. */
const OPSQ_DIR = fileURLToPath(new URL("..", import.meta.url));

/**
 * Resolves and imports each module in order, then returns the broker.
 *
 * @param specifiers package specifiers (`ops-core/actors`) or paths (`./actors.ts`)
 * @param cwd where relative paths and packages are resolved from
 * @throws CliError (exit code 2) when a module is missing, fails to import,
 *   registers no actors, or two modules use different brokers
 */
export async function loadModules(specifiers: readonly string[], cwd: string): Promise<LoadedModules> {
  const modules = specifiers.map((specifier) => ({ specifier, file: resolveModule(specifier, cwd) }));
  const typescript = modules.find(({ file }) => TYPESCRIPT.test(file));
  if (typescript !== undefined) {
    await registerTypeScript(cwd, typescript.specifier);
  }
  let broker: Broker | undefined;
  let brokerFrom = "";
  for (const { specifier, file } of modules) {
    const known = new Set(broker?.actors.keys());
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(
        `cannot import "${specifier}": ${describeImportError(error, file)}`,
        ExitCode.IMPORT_ERROR,
        { cause: error },
      );
    }
    const exported = exportedBroker(namespace);
    if (exported !== undefined && broker !== undefined && exported !== broker) {
      throw new CliError(
        `"${specifier}" uses another broker than "${brokerFrom}": run one worker per broker`,
        ExitCode.IMPORT_ERROR,
      );
    }
    if (broker === undefined) {
      broker = exported ?? (hasBroker() ? getBroker() : undefined);
      brokerFrom = specifier;
    }
    const registered = broker !== undefined && [...broker.actors.keys()].some((name) => !known.has(name));
    const exportsActors = Object.values(namespace).some((value) => isActor(value) && value.broker === broker);
    if (!registered && !exportsActors) {
      throw new CliError(
        `"${specifier}" registered no actors (define actors with defineActor() in it, or export its broker)`,
        ExitCode.IMPORT_ERROR,
      );
    }
  }
  return { broker: broker!, modules };
}

/** The absolute file a module specifier points to. @throws CliError (exit code 2) */
export function resolveModule(specifier: string, cwd: string): string {
  const asPath = specifier.startsWith("file:")
    ? fileURLToPath(specifier)
    : specifier.startsWith(".") ||
        isAbsolute(specifier) ||
        (KNOWN_EXTENSION.test(specifier) && existsSync(resolve(cwd, specifier)))
      ? resolve(cwd, specifier)
      : undefined;
  if (asPath !== undefined) {
    const file = findFile(asPath);
    if (file === undefined) {
      throw new CliError(`cannot find module "${specifier}": no such file ${asPath}`, ExitCode.IMPORT_ERROR);
    }
    return file;
  }
  try {
    return resolvePackage(specifier, cwd);
  } catch (error) {
    const reason = (error as Error).message;
    throw new CliError(
      KNOWN_EXTENSION.test(specifier)
        ? `cannot find module "${specifier}": no such file ${resolve(cwd, specifier)}, and ${reason}`
        : `cannot find module "${specifier}": ${reason}`,
      ExitCode.IMPORT_ERROR,
      { cause: error },
    );
  }
}

// The file itself, else with one of the known extensions, else a directory's index file.
function findFile(path: string): string | undefined {
  const candidates = [path, ...EXTENSIONS.map((ext) => path + ext)];
  if (isDirectory(path)) {
    candidates.push(...EXTENSIONS.map((ext) => resolve(path, `index${ext}`)));
  }
  return candidates.find((candidate) => existsSync(candidate) && !isDirectory(candidate));
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** True for a TypeScript file, which is imported through tsx. */
export function isTypeScriptFile(file: string): boolean {
  return TYPESCRIPT.test(file);
}

/**
 * Registers tsx so that TypeScript modules import: the project's own (from `cwd`), else the one
 * next to opsq.
 *
 * @param specifier the module that needs it, named in the error
 * @throws CliError (exit code 2) when no tsx can be found
 */
export async function registerTypeScript(cwd: string, specifier: string): Promise<void> {
  let url: string;
  try {
    url = pathToFileURL(resolvePackage("tsx/esm/api", cwd)).href;
  } catch {
    try {
      url = import.meta.resolve("tsx/esm/api");
    } catch {
      throw new CliError(
        `cannot load "${specifier}": TypeScript modules need tsx (npm install --save-dev tsx), or compile it to JavaScript`,
        ExitCode.IMPORT_ERROR,
      );
    }
  }
  const api = (await import(url)) as { register: () => unknown };
  api.register();
}

function exportedBroker(namespace: Record<string, unknown>): Broker | undefined {
  if (isBroker(namespace.broker)) {
    return namespace.broker;
  }
  const actor = Object.values(namespace).find(isActor);
  return actor?.broker;
}

// Duck-typed too, in case the module imports another copy of opsq than the CLI's.
function isBroker(value: unknown): value is Broker {
  if (value instanceof Broker) {
    return true;
  }
  const candidate = value as Partial<Broker> | null | undefined;
  return (
    typeof candidate?.consume === "function" &&
    typeof candidate.connect === "function" &&
    candidate.actors instanceof Map
  );
}

function isActor(value: unknown): value is Actor {
  if (value instanceof Actor) {
    return true;
  }
  const candidate = value as Partial<Actor> | null | undefined;
  return (
    typeof candidate?.name === "string" && typeof candidate.fn === "function" && isBroker(candidate.broker)
  );
}

/** One line: the error, and where it happened when that can be told (a syntax error's file and line). */
export function describeImportError(error: unknown, file: string): string {
  if (!(error instanceof Error)) {
    return redactUrl(String(error));
  }
  const text = `${error.name}: ${error.message}`.replace(/\s*\n\s*/g, " ");
  const location =
    errorLocation(error) ?? (error instanceof SyntaxError ? syntaxErrorLocation(file) : undefined);
  return redactUrl(location === undefined || text.includes(location) ? text : `${text} (at ${location})`);
}

// Node 20 keeps an ES module's syntax error location out of the error; `node --check` (which runs
// nothing) prints it when the error is in the module itself rather than in one it imports.
function syntaxErrorLocation(file: string): string | undefined {
  if (TYPESCRIPT.test(file)) {
    return undefined;
  }
  const { stderr } = spawnSync(process.execPath, ["--check", file], { encoding: "utf8", timeout: 10_000 });
  return stderr?.match(/^(\S+:\d+)$/m)?.[1];
}

function errorLocation(error: Error): string | undefined {
  const lines = (error.stack ?? "").split("\n");
  // A SyntaxError thrown while linking starts with "file:///path/to/module.mjs:3".
  const first = lines[0]?.match(/^(file:\/\/\S+|\/\S+):(\d+)$/);
  if (first !== undefined && first !== null) {
    return `${toPath(first[1]!)}:${first[2]}`;
  }
  for (const line of lines) {
    const frame = line.match(/^\s+at (?:.*\()?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/);
    if (frame === null) {
      continue;
    }
    const path = toPath(frame[1]!);
    if (!path.includes("/node_modules/") && !path.startsWith(OPSQ_DIR)) {
      return `${path}:${frame[2]}:${frame[3]}`;
    }
  }
  return undefined;
}

function toPath(location: string): string {
  return location.startsWith("file:") ? fileURLToPath(location) : location;
}
