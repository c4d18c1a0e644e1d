/**
 * Log format of the built library and CLI: JSON when stdout is not a terminal, pretty lines
 * with `--log-format pretty` / `OPSQ_LOG_FORMAT=pretty`, pino-pretty loaded only for pretty.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CliProcess, ensureBuilt, FIXTURES, killLeftovers, OPSQ_DIR } from "../fixtures/cli/cli-process.js";

const INDEX = join(OPSQ_DIR, "dist/index.js");
const PRETTY_LINE =
  /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(opsq\): worker ready \{.*"actors":\["js_add","js_echo"\]/m;

beforeAll(() => {
  ensureBuilt();
});

afterEach(async () => {
  await killLeftovers();
});

/** Runs an ES module snippet with the built library as `opsq`; returns its stdout. */
async function runSnippet(code: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const script = `import * as opsq from ${JSON.stringify(INDEX)};\n${code}`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, OPSQ_LOG_FORMAT: "", OPSQ_LOG_LEVEL: "info", ...env },
    timeout: 20_000,
  });
  return stdout;
}

async function readyOutput(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const cli = CliProcess.start(["worker", "./stub-actors.js", ...args], { cwd: FIXTURES, env });
  await cli.waitFor(() => /worker ready/.test(cli.stdout), "the ready line");
  cli.signal("SIGTERM");
  expect((await cli.waitExit()).code).toBe(0);
  return cli.stdout;
}

describe("log format", () => {
  it("is JSON when stdout is a pipe, and pino-pretty is not even loaded", async () => {
    const stdout = await runSnippet(`
      opsq.createLogger().info({ password: "hunter2" }, "hello");
      const { createRequire } = await import("node:module");
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes("pino-pretty"));
      console.log(JSON.stringify({ prettyLoaded: loaded }));`);

    // pino writes asynchronously: the two lines may come in either order.
    const lines = stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    const line = lines.find((entry) => entry.msg === "hello");
    const probe = lines.find((entry) => "prettyLoaded" in entry);
    expect(line).toMatchObject({ msg: "hello", password: "***", name: "opsq" });
    expect(probe).toEqual({ prettyLoaded: false });
  });

  it("is pretty with OPSQ_LOG_FORMAT=pretty: the stack below the line, secrets still censored", async () => {
    const stdout = await runSnippet(
      `opsq.createLogger().error({ password: "hunter2", err: new Error("boom") }, "actor failed");`,
      { OPSQ_LOG_FORMAT: "pretty" },
    );

    expect(stdout).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR \(opsq\): actor failed \{"password":"\*\*\*"\}\n/,
    );
    expect(stdout).toMatch(/\n\s+Error: boom\n\s+at /);
    expect(stdout).not.toContain("hunter2");
  });

  it("opsq worker --log-format pretty prints pretty lines; --log-format json or nothing prints JSON", async () => {
    expect(await readyOutput(["--log-format", "pretty"])).toMatch(PRETTY_LINE);
    expect(await readyOutput([], { OPSQ_LOG_FORMAT: "pretty" })).toMatch(PRETTY_LINE);
    const json = await readyOutput(["--log-format", "json"], { OPSQ_LOG_FORMAT: "pretty" });
    expect(JSON.parse(json.split("\n")[0]!)).toMatchObject({ msg: "worker ready" });
  });

  it("opsq worker --log-format xml is a bad argument (exit 2)", async () => {
    const { code, stderr } = await CliProcess.run(["worker", "./stub-actors.js", "--log-format", "xml"], {
      cwd: FIXTURES,
    });

    expect(code).toBe(2);
    expect(stderr).toContain("--log-format");
  });
});
