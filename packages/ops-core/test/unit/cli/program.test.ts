/** The `ops-core` CLI's argument, configuration and error handling (no services needed). */
import { describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env });
  return { code, out: out.join("\n"), err };
}

describe("ops-core CLI", () => {
  it("prints help with the exit codes", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
    expect(out).toContain("Usage: ops-core");
    expect(out).toMatch(/submit \[options\] <goal>/);
    expect(out).toContain("2  bad input or configuration");
  });

  it.each([
    [
      ["migrate"],
      "ops-core: DATABASE_URL is not set; `ops-core migrate` needs a real PostgreSQL database (e.g. postgres://user@localhost:5432/ops)",
    ],
    [
      ["list"],
      "ops-core: DATABASE_URL is not set; `ops-core list` needs a real PostgreSQL database (e.g. postgres://user@localhost:5432/ops)",
    ],
    [["submit", "  "], "ops-core: inputData.goal: Too small: expected string to have >=1 characters"],
    [
      ["submit", "g", "--type", "agent_run"],
      'ops-core: taskType: unknown task type "agent_run" (known: agent_task)',
    ],
    [
      ["submit", "g", "--input", "{nope"],
      expect.stringMatching(/^ops-core: --input: not valid JSON \(.+\)$/),
    ],
    [["submit", "g", "--input", "[1]"], `ops-core: --input: must be a JSON object such as '{"maxSteps": 4}'`],
    [["submit", "g", "--input", '{"temperature": 2}'], "ops-core: inputData.temperature: unknown field"],
    [
      ["list", "--limit", "0"],
      "ops-core: option '--limit <n>' argument '0' is invalid. expected a whole number from 1 to 1000.",
    ],
    [
      ["list", "--status", "done"],
      expect.stringContaining("ops-core: option '--status <status>' argument 'done' is invalid"),
    ],
    [
      ["submit", "g", "--input", '{"model": "gpt\\u0000x"}'],
      "ops-core: inputData.model: must not contain a NUL character (\\u0000)",
    ],
    [
      ["submit", "g", "--input", '{"model": "\\ud83d"}'],
      "ops-core: inputData.model: must not contain a lone UTF-16 surrogate (not valid Unicode)",
    ],
    [["frobnicate"], "ops-core: unknown command 'frobnicate'"],
  ])("rejects %j with exit code 2 and one line", async (args, line) => {
    const { code, err } = await run(args);
    expect(code).toBe(2);
    expect(err).toEqual([line]);
  });

  it("never echoes an unencoded password in a URL error", async () => {
    const { code, err } = await run(["list"], { DATABASE_URL: "postgres://app:pa/ss word@db/ops" });
    expect(code).toBe(2);
    expect(err).toEqual([
      'ops-core: DATABASE_URL must be a postgres:// or postgresql:// URL such as postgres://user@localhost:5432/ops (got "postgres://app:***@db/ops")',
    ]);
  });

  it("validates the input before looking at the database", async () => {
    const { code, err } = await run(["submit", "g", "--input", '{"maxSteps": 0}'], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    });
    expect(code).toBe(2);
    expect(err).toEqual(["ops-core: inputData.maxSteps: Too small: expected number to be >=1"]);
  });

  it("names a bad variable without showing its password", async () => {
    const { code, err } = await run(["status", "task_x"], { DATABASE_URL: "mysql://root:hunter2@db/ops" });
    expect(code).toBe(2);
    expect(err).toEqual([
      'ops-core: DATABASE_URL must be a postgres:// or postgresql:// URL such as postgres://user@localhost:5432/ops (got "mysql://root:***@db/ops")',
    ]);
  });

  it("exits 3 with one line, without the password, when PostgreSQL is unreachable", async () => {
    const { code, err } = await run(["status", "task_x"], {
      DATABASE_URL: "postgres://app:hunter2@127.0.0.1:1/ops",
    });
    expect(code).toBe(3);
    expect(err).toEqual(["ops-core: database query failed: connect ECONNREFUSED 127.0.0.1:1"]);
  });
});
