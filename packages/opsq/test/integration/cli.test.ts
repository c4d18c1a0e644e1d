/**
 * The `opsq worker` CLI, spawned as the built bin: arguments, module loading
 * (relative, absolute, TypeScript, package specifiers), the ready line, exit
 * codes and the supervisor. These use modules that export a StubBroker, so
 * they need no RabbitMQ; cli-rabbitmq.test.ts runs messages end to end.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CliProcess, ensureBuilt, FIXTURES, killLeftovers, OPSQ_DIR } from "../fixtures/cli/cli-process.js";

const scratch = mkdtempSync(join(tmpdir(), "opsq-cli-"));

beforeAll(() => {
  ensureBuilt();
});

afterEach(async () => {
  await killLeftovers();
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Starts a worker, waits until it is ready, stops it with SIGTERM and returns its ready line and exit. */
async function readyThenStop(args: string[], options: { cwd?: string } = {}) {
  const cli = CliProcess.start(["worker", ...args], options);
  const [ready] = await cli.waitReady();
  cli.signal("SIGTERM");
  const exit = await cli.waitExit();
  return { cli, ready: ready!, exit };
}

describe("opsq --version and --help", () => {
  it("prints the version of package.json", async () => {
    const { version } = JSON.parse(readFileSync(join(OPSQ_DIR, "package.json"), "utf8")) as {
      version: string;
    };

    const { code, stdout } = await CliProcess.run(["--version"]);

    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it("prints the worker usage, options and exit codes", async () => {
    const { code, stdout } = await CliProcess.run(["worker", "--help"]);

    expect(code).toBe(0);
    expect(stdout).toContain("Usage: opsq worker [options] <modules...>");
    for (const option of [
      "--queues",
      "--concurrency",
      "--processes",
      "--broker-url",
      "--shutdown-timeout",
      "--log-level",
    ]) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain("Exit codes:");
  });
});

describe("opsq worker: loading modules", () => {
  it("loads a relative .js path and logs one ready line naming actors, queues, concurrency and pid", async () => {
    // Given a module that exports a broker with two actors on two queues
    // When the worker runs it from its directory, then gets SIGTERM
    const { cli, ready, exit } = await readyThenStop(["./stub-actors.js"], { cwd: FIXTURES });

    // Then the ready line names them, and the worker stops cleanly
    expect(ready).toMatchObject({
      actors: ["js_add", "js_echo"],
      queues: ["js-math", "js-text"],
      concurrency: 8,
      pid: cli.child.pid,
      broker: "StubBroker",
    });
    expect(cli.readyLines).toHaveLength(1);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it("loads an absolute .mjs path, finding the broker through the exported actors", async () => {
    const { ready, exit } = await readyThenStop([join(FIXTURES, "stub-actors.mjs"), "--concurrency", "3"]);

    expect(ready).toMatchObject({ actors: ["mjs_add"], queues: ["mjs-math"], concurrency: 3 });
    expect(exit.code).toBe(0);
  });

  it("loads a .ts module (and its .ts imports) through tsx", async () => {
    const { ready, exit } = await readyThenStop(["packages/opsq/test/fixtures/cli/stub-actors.ts"]);

    expect(ready).toMatchObject({ actors: ["ts_add", "ts_greet"], queues: ["ts-math", "ts-text"] });
    expect(exit.code).toBe(0);
  });

  it("loads a package specifier through the package's exports map, resolved from the cwd", async () => {
    // Given a project whose node_modules holds a package exporting "./actors" (import condition only)
    const project = join(scratch, "project");
    mkdirSync(join(project, "node_modules"), { recursive: true });
    symlinkSync(join(FIXTURES, "fixture-pkg"), join(project, "node_modules", "opsq-cli-fixture"), "dir");

    // When the worker is given "opsq-cli-fixture/actors" from that project
    const { ready, exit } = await readyThenStop(["opsq-cli-fixture/actors"], { cwd: project });

    // Then it loads the exported file
    expect(ready).toMatchObject({ actors: ["pkg_add"], queues: ["pkg-math"] });
    expect(exit.code).toBe(0);
  });

  it("consumes only the queues given with --queues", async () => {
    const { ready } = await readyThenStop(["./stub-actors.js", "--queues", "js-text"], { cwd: FIXTURES });

    expect(ready).toMatchObject({ actors: ["js_echo"], queues: ["js-text"] });
  });
});

describe("opsq worker: exit code 2, with a one-line reason", () => {
  const cases: [string, () => string[], RegExp][] = [
    ["a missing file", () => ["./missing.js"], /cannot find module "\.\/missing\.js": no such file/],
    ["a missing package", () => ["no-such-package/actors"], /cannot find package "no-such-package"/],
    ["a module throwing at import", () => ["./throws.mjs"], /"\.\/throws\.mjs": Error: boom while importing/],
    [
      "a module with a syntax error",
      () => {
        const file = join(scratch, "syntax-error.mjs");
        writeFileSync(file, "export const = 1;\n");
        return [file];
      },
      /syntax-error\.mjs": SyntaxError: .*syntax-error\.mjs:1/,
    ],
    ["a module registering no actors", () => ["./no-actors.js"], /"\.\/no-actors\.js" registered no actors/],
    ["a package registering no actors", () => ["opsq"], /"opsq" registered no actors/],
    [
      "modules on different brokers",
      () => ["./stub-actors.js", "./stub-actors.mjs"],
      /"\.\/stub-actors\.mjs" uses another broker than "\.\/stub-actors\.js"/,
    ],
    [
      "--concurrency abc",
      () => ["./stub-actors.js", "--concurrency", "abc"],
      /--concurrency <n>' argument 'abc' is invalid/,
    ],
    ["--processes 0", () => ["./stub-actors.js", "--processes", "0"], /--processes <n>' argument '0'/],
    [
      "an unknown queue",
      () => ["./stub-actors.js", "--queues", "nope"],
      /unknown queue "nope": the actors use "js-math", "js-text"/,
    ],
    ["an unknown option", () => ["./stub-actors.js", "--bogus"], /unknown option '--bogus'/],
    ["a bad log level", () => ["./stub-actors.js", "--log-level", "loud"], /'loud' is invalid/],
  ];

  it.each(cases)("%s", async (_name, args, reason) => {
    const { code, stdout, stderr } = await CliProcess.run(["worker", ...args()], { cwd: FIXTURES });

    expect(code).toBe(2);
    expect(stderr).toMatch(/^opsq: .+\n$/);
    expect(stderr).toMatch(reason);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toContain("worker ready");
  });

  it("exits 2 with no module", async () => {
    const { code, stderr } = await CliProcess.run(["worker"]);

    expect(code).toBe(2);
    expect(stderr).toContain("missing required argument 'modules'");
  });
});

describe("opsq worker: exit code 3", () => {
  it("exits 3 when RabbitMQ is unreachable at start-up, naming the URL without its password", async () => {
    // Given a URL with a password, to a port where nothing listens
    const url = "amqp://guest:s3cret@127.0.0.1:1";

    // When a worker for actors on the global (RabbitMQ) broker starts
    const { code, stdout, stderr } = await CliProcess.run([
      "worker",
      join(FIXTURES, "rabbit-actors.js"),
      "--broker-url",
      url,
    ]);

    // Then it exits 3 with one line naming the redacted URL, and the password is nowhere
    expect(code).toBe(3);
    expect(stderr).toMatch(/^opsq: .+\n$/);
    expect(stderr).toContain("amqp://guest:***@127.0.0.1:1");
    expect(stdout + stderr).not.toContain("s3cret");
  });

  it("does not echo a password holding a raw slash: a bad argument (exit 2)", async () => {
    // When a worker starts with a URL whose password holds an unencoded "/" (not a URL at all)
    const { code, stdout, stderr } = await CliProcess.run([
      "worker",
      join(FIXTURES, "rabbit-actors.js"),
      "--broker-url",
      "amqp://guest:s3/cret@127.0.0.1:1/",
    ]);

    // Then it exits 2 with one line saying how to write it, and no part of the password is shown
    expect(code).toBe(2);
    expect(stderr).toMatch(/^opsq: --broker-url is not a valid URL: .*percent-encoded.*\n$/);
    expect(stdout + stderr).not.toContain("cret");
  });

  it("does not echo a password holding a space", async () => {
    // When a worker starts with a URL whose password holds an unencoded space
    const { code, stdout, stderr } = await CliProcess.run([
      "worker",
      join(FIXTURES, "rabbit-actors.js"),
      "--broker-url",
      "amqp://guest:s3 cret@127.0.0.1:1/",
    ]);

    // Then it exits 3 (nothing listens there) and no part of the password is shown
    expect(code).toBe(3);
    expect(stderr).toContain("amqp://guest:***@127.0.0.1:1");
    expect(stdout + stderr).not.toContain("cret");
  });
});

describe("opsq worker --processes", () => {
  it("forks worker processes that each log ready, and stops them all on SIGTERM", async () => {
    // Given a supervisor of 2 worker processes
    const cli = CliProcess.start(["worker", "./stub-actors.js", "--processes", "2"], { cwd: FIXTURES });

    // When both are ready
    const ready = await cli.waitReady(2);

    // Then they are 2 processes other than the supervisor, with the same actors
    const pids = new Set(ready.map((line) => line.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(cli.child.pid!)).toBe(false);
    expect(ready.map((line) => line.process).sort()).toEqual([1, 2]);
    for (const line of ready) {
      expect(line.actors).toEqual(["js_add", "js_echo"]);
    }

    // And SIGTERM stops them and the supervisor cleanly
    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
    expect(cli.lines.filter((line) => line.msg === "worker stopped")).toHaveLength(2);
  });

  it("exits with the workers' code 2 when the module cannot be imported, without restarting them", async () => {
    const { code, stdout, stderr } = await CliProcess.run(["worker", "./missing.js", "--processes", "2"], {
      cwd: FIXTURES,
    });

    expect(code).toBe(2);
    expect(stderr).toContain('cannot find module "./missing.js"');
    expect(stdout).not.toContain("restarting");
  });
});
