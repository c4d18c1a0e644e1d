/**
 * Runs a CLI whose reader goes away before it writes (as `cli --help | head -1`), for the tests
 * that a closed stdout is a normal exit in both CLIs.
 */
import { spawn } from "node:child_process";

/** What a run with a closed stdout left: its exit code and all it wrote to stderr. */
export interface ClosedStdoutRun {
  code: number | null;
  stderr: string;
}

/** Runs `node <args>` with its stdout closed at once; resolves when it exits. */
export async function runWithClosedStdout(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ClosedStdoutRun> {
  const child = spawn(process.execPath, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stderr };
}
