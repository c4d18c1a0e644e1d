/**
 * scripts/check-skipped.mjs (posttest): with CI set, a skipped integration test fails `npm test`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../check-skipped.mjs", import.meta.url));
const dirs: string[] = [];

/** Writes a vitest JSON report with the given (file, status) tests and runs the script on it. */
async function check(tests: [file: string, status: string][], ci: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "check-skipped-"));
  dirs.push(dir);
  const testResults = tests.map(([file, status]) => ({
    name: join(dir, file),
    assertionResults: [{ fullName: `a test in ${file}`, status }],
  }));
  writeFileSync(join(dir, ".vitest-results.json"), JSON.stringify({ testResults }));
  const env = { ...process.env, CI: ci ? "true" : "" };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: dir,
      env,
      timeout: 10_000,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, output: failed.stderr };
  }
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("check-skipped", () => {
  it("fails under CI when an integration test was skipped, naming it", async () => {
    const result = await check(
      [
        ["packages/opsq/test/integration/a.test.ts", "passed"],
        ["packages/ops-core/test/integration/db/b.test.ts", "skipped"],
      ],
      true,
    );

    expect(result.code).toBe(1);
    expect(result.output).toContain("1 integration test(s) did not run");
    expect(result.output).toContain("packages/ops-core/test/integration/db/b.test.ts › a test in");
  });

  it("passes under CI when every integration test ran, even with a skipped unit test", async () => {
    const result = await check(
      [
        ["packages/opsq/test/integration/a.test.ts", "passed"],
        ["packages/opsq/test/unit/c.test.ts", "skipped"],
      ],
      true,
    );

    expect(result).toEqual({ code: 0, output: "[posttest] every integration test ran (CI)\n" });
  });

  it("lets local runs skip (CI unset)", async () => {
    const result = await check([["packages/opsq/test/integration/a.test.ts", "pending"]], false);

    expect(result.code).toBe(0);
  });
});
