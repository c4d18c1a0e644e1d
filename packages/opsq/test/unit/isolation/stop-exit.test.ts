/**
 * A program that used an isolated actor ends normally once its worker stops: `worker.stop()`
 * kills the (idle, unref'd) runners and waits for them to exit without letting the event loop
 * run dry, so the program neither hangs nor exits with Node's code 13.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PROGRAM = fileURLToPath(new URL("../../fixtures/isolation/stop-and-exit.mjs", import.meta.url));

describe("worker.stop() with isolated runners", () => {
  it.each(["thread", "process"])("lets a program that used a %s runner exit with code 0", (mode) => {
    const run = spawnSync(process.execPath, [PROGRAM, mode], { encoding: "utf8", timeout: 30_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("stopped\n");
    expect(run.status).toBe(0);
  });
});
