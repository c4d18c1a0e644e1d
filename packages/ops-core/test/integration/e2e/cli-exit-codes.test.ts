/**
 * Exit codes of the built `ops-core` CLI as documented: a database or role that does not exist
 * is a service unusable as configured (3, one line), a closed stdout is a normal end (0), and
 * `ops-core help [command]` prints help.
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runWithClosedStdout } from "../../../../../test-support/closed-stdout.js";
import { requirePostgres } from "../../helpers/postgres.js";
import { childEnv, OPS_CORE_CLI, REPO_ROOT } from "../../helpers/worker-process.js";

/** Runs the built ops-core CLI; resolves with its exit code and output. */
function opsCore(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [OPS_CORE_CLI, ...args],
      { cwd: REPO_ROOT, env: childEnv(env), timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === "number" ? code : null, stdout, stderr });
      },
    );
  });
}

describe("ops-core help", () => {
  it("ops-core help prints the usage, the exit codes, and exits 0", async () => {
    const { code, stdout } = await opsCore(["help"]);

    expect(code).toBe(0);
    expect(stdout).toContain("Usage: ops-core [options] [command]");
    expect(stdout).toContain("Exit codes:");
  });

  it("ops-core help submit prints the usage of submit", async () => {
    const { code, stdout } = await opsCore(["help", "submit"]);

    expect(code).toBe(0);
    expect(stdout).toContain("Usage: ops-core submit [options] <goal>");
  });

  it("ops-core --help into a pipe closed at once exits 0, without a stack (as `| head -1`)", async () => {
    const { code, stderr } = await runWithClosedStdout([OPS_CORE_CLI, "--help"], {
      cwd: REPO_ROOT,
      env: childEnv({}),
    });

    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

const available = await requirePostgres();

describe.runIf(available)("ops-core against a PostgreSQL that lacks the database or the role", () => {
  it("a database that does not exist: exit 3, one line", async () => {
    const { code, stdout, stderr } = await opsCore(["list"], {
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/ops_core_no_such_database",
    });

    expect(code).toBe(3);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain('database "ops_core_no_such_database" does not exist');
    expect(stdout).toBe("");
  });

  it("a role that does not exist: exit 3, one line, no password", async () => {
    const { code, stderr } = await opsCore(["list"], {
      DATABASE_URL: "postgres://ops_core_no_such_role:hunter2@127.0.0.1:5432/test",
    });

    expect(code).toBe(3);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/role "ops_core_no_such_role" does not exist|password authentication failed/);
    expect(stderr).not.toContain("hunter2");
  });
});
