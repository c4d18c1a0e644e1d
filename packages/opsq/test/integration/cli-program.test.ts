/**
 * The CLI's logic in-process: `runCli` (the programmatic entry main.ts wraps)
 * and the `exports` resolution used for package specifiers.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { resolveModule } from "../../src/cli/load-modules.js";
import { runCli } from "../../src/cli/program.js";
import { resolveExports } from "../../src/package-resolution.js";
import { FIXTURES, OPSQ_DIR } from "../fixtures/cli/cli-process.js";

describe("runCli", () => {
  // runCli sets RABBITMQ_URL, OPSQ_LOG_LEVEL and OPSQ_LOG_FORMAT for the modules it imports; in
  // this shared test process they would silence the logs of every CLI started by later files.
  let savedEnv: NodeJS.ProcessEnv;
  beforeEach(() => {
    savedEnv = { ...process.env };
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) delete process.env[key];
    }
    Object.assign(process.env, savedEnv);
  });

  it("returns 0 after --version, written to writeOut", async () => {
    const out: string[] = [];

    const code = await runCli(["--version"], {
      stop: new AbortController().signal,
      writeOut: (text) => out.push(text),
    });

    expect(code).toBe(ExitCode.OK);
    expect(out.join("")).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("returns 2 with a one-line reason for a bad argument", async () => {
    const err: string[] = [];

    const code = await runCli(["worker", "./stub-actors.js", "--concurrency", "0"], {
      cwd: FIXTURES,
      stop: new AbortController().signal,
      writeErr: (text) => err.push(text),
    });

    expect(code).toBe(ExitCode.IMPORT_ERROR);
    expect(err).toEqual([
      "opsq: option '-c, --concurrency <n>' argument '0' is invalid. expected a whole number ≥ 1.\n",
    ]);
  });

  it("never prints a password it was given, even in a module name (a URL typed in the wrong place)", async () => {
    const err: string[] = [];

    const code = await runCli(["worker", "postgres://app:hunter2@db:5432/app"], {
      cwd: FIXTURES,
      stop: new AbortController().signal,
      writeErr: (text) => err.push(text),
    });

    expect(code).toBe(ExitCode.IMPORT_ERROR);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^opsq: cannot find module "postgres:\/\/app:\*\*\*@db:5432\/app"/);
    expect(err.join("")).not.toContain("hunter2");
  });

  it("runs a worker until the stop signal is aborted, then returns 0", async () => {
    // Given a worker on a module exporting a StubBroker (from opsq's build: another copy than this src)
    const stop = new AbortController();
    let ready = false;
    const running = runCli(["worker", "./stub-actors.js", "--log-level", "silent"], {
      cwd: FIXTURES,
      stop: stop.signal,
      onReady: () => {
        ready = true;
        stop.abort("SIGTERM");
      },
    });

    // When it is ready and the stop signal comes, then it stops cleanly
    expect(await running).toBe(ExitCode.OK);
    expect(ready).toBe(true);
  });
});

describe("resolving modules", () => {
  it("reads paths relative to the cwd, adding a missing extension", () => {
    expect(resolveModule("./stub-actors", FIXTURES)).toBe(join(FIXTURES, "stub-actors.js"));
    expect(resolveModule("stub-actors.ts", FIXTURES)).toBe(join(FIXTURES, "stub-actors.ts"));
  });

  it("resolves a package's own name from inside it (self-reference)", () => {
    expect(resolveModule("opsq", FIXTURES)).toBe(join(OPSQ_DIR, "dist/index.js"));
    expect(resolveModule("opsq/testing", FIXTURES)).toBe(join(OPSQ_DIR, "dist/testing.js"));
  });

  it("follows exports as import would: conditions in order, arrays, patterns, null", () => {
    const exports = {
      ".": { types: "./index.d.ts", require: "./index.cjs", import: "./index.mjs" },
      "./actors": [{ worker: "./no.js" }, "./actors.js"],
      "./features/*.js": { node: "./src/features/*.js" },
      "./features/internal/*": null,
      "./features/*": "./src/features/*.js",
    };

    expect(resolveExports(exports, ".")).toBe("./index.mjs");
    expect(resolveExports(exports, "./actors")).toBe("./actors.js");
    expect(resolveExports(exports, "./features/a.js")).toBe("./src/features/a.js");
    expect(resolveExports(exports, "./features/b")).toBe("./src/features/b.js");
    expect(resolveExports(exports, "./features/internal/x")).toBeNull();
    expect(resolveExports(exports, "./missing")).toBeUndefined();
    expect(resolveExports("./main.js", ".")).toBe("./main.js");
    expect(resolveExports({ default: "./main.js" }, "./sub")).toBeUndefined();
  });
});
