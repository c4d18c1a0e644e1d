/**
 * Resolves a package specifier (`ops-core/actors`) from a directory as
 * `import` would from a module there: node_modules lookup up the tree, the
 * package's own name (self-reference), and `exports` with the `node`,
 * `import` and `default` conditions (subpath patterns included). Packages
 * without `exports` fall back to `main` and CommonJS lookup.
 *
 * Node 20's `import.meta.resolve` cannot take another parent without a flag,
 * and `require.resolve` uses the `require` condition, hence this.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const CONDITIONS = new Set(["node", "import", "default"]);

interface PackageJson {
  name?: string;
  exports?: unknown;
}

/**
 * The absolute file a package specifier points to, resolved from `fromDir`.
 *
 * @throws Error with a one-line message when the package or its export is missing
 */
export function resolvePackage(specifier: string, fromDir: string): string {
  const { name, subpath } = splitSpecifier(specifier);
  const found = findPackage(name, fromDir);
  if (found === undefined) {
    throw new Error(`cannot find package "${name}" from ${fromDir} (is it installed?)`);
  }
  const { dir, json } = found;
  if (json.exports !== undefined && json.exports !== null) {
    const target = resolveExports(json.exports, subpath);
    if (typeof target !== "string") {
      throw new Error(
        `package "${name}" does not export "${subpath}" (see "exports" in ${dir}/package.json)`,
      );
    }
    return resolve(dir, target);
  }
  return createRequire(join(dir, "package.json")).resolve(subpath === "." ? dir : join(dir, subpath));
}

function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split("/");
  const size = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, size).join("/");
  if (parts.length < size || name === "" || name.startsWith(".") || /[\\%]/.test(name)) {
    throw new Error(`"${specifier}" is not a valid package specifier`);
  }
  const rest = parts.slice(size).join("/");
  return { name, subpath: rest === "" ? "." : `./${rest}` };
}

function findPackage(name: string, fromDir: string): { dir: string; json: PackageJson } | undefined {
  let selfChecked = false;
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    if (!selfChecked && existsSync(join(dir, "package.json"))) {
      // Self-reference: only the nearest package.json, and only with "exports".
      selfChecked = true;
      const json = readJson(join(dir, "package.json"));
      if (json.name === name && json.exports !== undefined) {
        return { dir, json };
      }
    }
    const candidate = join(dir, "node_modules", name);
    if (existsSync(candidate)) {
      const file = join(candidate, "package.json");
      return { dir: candidate, json: existsSync(file) ? readJson(file) : {} };
    }
    if (dirname(dir) === dir) {
      return undefined;
    }
  }
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, "utf8")) as PackageJson;
}

function isConditionMap(exports: unknown): exports is Record<string, unknown> {
  return typeof exports === "object" && exports !== null && !Array.isArray(exports);
}

/** Node's PACKAGE_EXPORTS_RESOLVE: the target path (`./…`), `null` when excluded, undefined when absent. */
export function resolveExports(exports: unknown, subpath: string): string | null | undefined {
  if (!isConditionMap(exports) || !Object.keys(exports).some((key) => key.startsWith("."))) {
    return subpath === "." ? resolveTarget(exports, undefined) : undefined;
  }
  if (Object.hasOwn(exports, subpath) && !subpath.includes("*")) {
    return resolveTarget(exports[subpath], undefined);
  }
  let bestKey: string | undefined;
  let bestMatch = "";
  for (const key of Object.keys(exports)) {
    const star = key.indexOf("*");
    if (star === -1 || key.indexOf("*", star + 1) !== -1) {
      continue;
    }
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (
      subpath.startsWith(prefix) &&
      subpath !== prefix &&
      subpath.length >= key.length &&
      subpath.endsWith(suffix) &&
      isBetterPattern(key, bestKey)
    ) {
      bestKey = key;
      bestMatch = subpath.slice(prefix.length, subpath.length - suffix.length);
    }
  }
  return bestKey === undefined ? undefined : resolveTarget(exports[bestKey], bestMatch);
}

// Node's PATTERN_KEY_COMPARE: the longer prefix before "*" wins, then the longer key.
function isBetterPattern(key: string, best: string | undefined): boolean {
  if (best === undefined) {
    return true;
  }
  const keyBase = key.indexOf("*");
  const bestBase = best.indexOf("*");
  return keyBase !== bestBase ? keyBase > bestBase : key.length > best.length;
}

function resolveTarget(target: unknown, patternMatch: string | undefined): string | null | undefined {
  if (typeof target === "string") {
    if (!target.startsWith("./")) {
      return undefined;
    }
    return patternMatch === undefined ? target : target.replaceAll("*", patternMatch);
  }
  if (Array.isArray(target)) {
    let last: null | undefined;
    for (const item of target) {
      const resolved = resolveTarget(item, patternMatch);
      if (typeof resolved === "string") {
        return resolved;
      }
      last = resolved;
    }
    return last;
  }
  if (isConditionMap(target)) {
    for (const [condition, value] of Object.entries(target)) {
      if (CONDITIONS.has(condition)) {
        const resolved = resolveTarget(value, patternMatch);
        if (resolved !== undefined) {
          return resolved;
        }
      }
    }
    return undefined;
  }
  return target === null ? null : undefined;
}
