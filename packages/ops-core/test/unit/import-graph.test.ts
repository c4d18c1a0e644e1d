/**
 * Start-up cost guard: the modules a worker loads at boot (`ops-core/actors` and what it
 * imports) must not statically import the heavy packages — drizzle, the database drivers and the
 * openai SDK are loaded with dynamic `import()` when first used; the actors module does not even
 * load zod. This walks the static import graph of the source files and fails on any heavy import
 * reachable from an entry point.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");
// fastify: the HTTP server loads only when `ops-core serve` runs.
const HEAVY = [
  /^openai(\/|$)/,
  /^postgres$/,
  /^@electric-sql\/pglite/,
  /^drizzle-orm(\/|$)/,
  /^drizzle-kit/,
  /^fastify(\/|$)/,
];
const ENTRY_POINTS = [
  "actors/index.ts",
  "actors/register-agent-tasks.ts",
  "actors/execute-agent-task.ts",
  "actors/runtime.ts",
  "agent-task-message.ts",
  "task-lifecycle.ts",
  "cli/main.ts",
  "submit-task.ts",
  "demo/run-demo.ts",
  "index.ts",
  "config.ts",
  "errors.ts",
  "classify-error.ts",
  "agent/create-llm-client.ts",
  "agent/tools/index.ts",
  "db/open-task-store.ts",
  "db/client.ts",
  "db/migrate.ts",
  "dashboard/index.ts",
];

/**
 * Specifiers a file loads at evaluation time: every `import … from`, `export … from` and bare
 * `import "…"`, except `import type` / `export type` (erased). Inline `{ type X }` specifiers
 * still count: under verbatimModuleSyntax the import statement is kept.
 */
function staticImports(source: string): string[] {
  const statements = /^\s*(?:import|export)\s+(?!type\s)(?:[^;]*?\sfrom\s+)?["']([^"']+)["']/gm;
  return [...source.matchAll(statements)].map((match) => match[1]!);
}

/** Heavy packages reachable from `entry`, with the chain of files that leads to each. */
function heavyImports(entry: string, heavy: readonly RegExp[] = HEAVY): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) {
        visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")), [...chain, specifier]);
      } else if (heavy.some((pattern) => pattern.test(specifier))) {
        found.push([...chain, specifier].join(" → "));
      }
    }
  };
  visit(resolve(SRC, entry), [entry]);
  return found;
}

describe("static import graph", () => {
  it("finds the imports it is looking for (self-check)", () => {
    expect(
      staticImports(
        'import { x } from "a";\nimport type { Y } from "b";\nexport * from "./c.js";\nimport "d";',
      ),
    ).toEqual(["a", "./c.js", "d"]);
    expect(heavyImports("db/task-store.ts")).toContain("db/task-store.ts → drizzle-orm");
    expect(heavyImports("http/server.ts")).toContain("http/server.ts → fastify");
  });

  it.each(ENTRY_POINTS)("%s loads no heavy package at import time", (entry) => {
    expect(heavyImports(entry)).toEqual([]);
  });

  it("the actors module (the worker's start-up path) does not load zod either", () => {
    expect(heavyImports("actors/execute-agent-task.ts", [...HEAVY, /^zod(\/|$)/])).toEqual([]);
    expect(heavyImports("actors/index.ts", [...HEAVY, /^zod(\/|$)/])).toEqual([]);
    expect(heavyImports("submit-task.ts", [/^zod(\/|$)/])).not.toEqual([]);
  });
});
