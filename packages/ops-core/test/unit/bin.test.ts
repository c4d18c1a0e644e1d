/**
 * The `ops-core` bin: npm links it when the workspace is installed, before `dist/` is built, so it
 * must be a committed, executable file that loads `dist/cli/main.js`, and say what to do when
 * that is missing.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("../../", import.meta.url));
const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
};
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "ops-core-bin-"));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("the ops-core bin", () => {
  const bin = manifest.bin["ops-core"]!;

  it("is a committed, executable file outside dist/, shipped in the package", () => {
    expect(bin).toBe("./bin/ops-core.js");
    expect(manifest.files).toContain("bin");
    expect(statSync(join(PACKAGE_DIR, bin)).mode & 0o111).toBe(0o111);
  });

  it("runs the built CLI", async () => {
    const { stdout } = await run(join(PACKAGE_DIR, bin), ["--help"], { timeout: 10_000 });

    expect(stdout).toContain("Usage: ops-core");
  });

  it("says to run npm run build, and exits 1, when dist/ is missing", async () => {
    cpSync(join(PACKAGE_DIR, bin), join(scratch, bin));

    const failure = await run(process.execPath, [join(scratch, bin), "--help"], { timeout: 10_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    expect(failure?.code).toBe(1);
    expect(failure?.stderr.trim()).toBe(
      "ops-core: not built: dist/cli/main.js is missing; run `npm run build` first",
    );
  });
});
