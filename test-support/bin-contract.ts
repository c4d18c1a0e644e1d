/**
 * The contract of a package's bin, shared by opsq's and ops-core's tests: npm links it when the
 * workspace is installed, before `dist/` is built, so it must be a committed, executable file
 * that loads `dist/cli/main.js`, and say what to do when that is missing.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/** The package whose bin is checked. */
export interface BinContract {
  /** The package's directory. */
  packageDir: string;
  /** The bin's name (`opsq`); its file is `./bin/<name>.js`. */
  name: string;
  /** Arguments for a run of the built CLI. */
  args: string[];
  /** What that run must print, given the package's version. */
  expectStdout(stdout: string, version: string): void;
}

const run = promisify(execFile);

/** Declares the bin's tests. */
export function describeBin(contract: BinContract): void {
  const { packageDir, name } = contract;
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    version: string;
    bin: Record<string, string>;
    files: string[];
  };
  const scratch = mkdtempSync(join(tmpdir(), `${name}-bin-`));

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  describe(`the ${name} bin`, () => {
    const bin = manifest.bin[name]!;

    it("is a committed, executable file outside dist/, shipped in the package", () => {
      expect(bin).toBe(`./bin/${name}.js`);
      expect(manifest.files).toContain("bin");
      expect(statSync(join(packageDir, bin)).mode & 0o111).toBe(0o111);
    });

    it("runs the built CLI", async () => {
      const { stdout } = await run(join(packageDir, bin), contract.args, { timeout: 10_000 });

      contract.expectStdout(stdout, manifest.version);
    });

    it("says to run npm run build, and exits 1, when dist/ is missing", async () => {
      cpSync(join(packageDir, bin), join(scratch, bin));

      const failure = await run(process.execPath, [join(scratch, bin), "--help"], { timeout: 10_000 }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );

      expect(failure?.code).toBe(1);
      expect(failure?.stderr.trim()).toBe(
        `${name}: not built: dist/cli/main.js is missing; run \`npm run build\` first`,
      );
    });
  });
}
