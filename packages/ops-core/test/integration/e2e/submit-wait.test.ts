/**
 * E2E: `ops-core submit --wait` with nobody consuming the queue says so, instead of printing
 * `pending` and then nothing until its timeout.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eContext, openE2e, servicesAvailable } from "../../helpers/e2e.js";
import { childEnv, OPS_CORE_CLI, REPO_ROOT } from "../../helpers/worker-process.js";

const available = await servicesAvailable();

describe.runIf(available)("E2E: submit --wait with no worker", () => {
  let e2e: E2eContext;

  beforeAll(async () => {
    e2e = await openE2e();
  });
  afterAll(() => e2e?.close());

  it("prints a hint naming the queue and the command to start a worker, then times out (exit 1)", async () => {
    // Given a queue nobody consumes
    const { queue } = await e2e.producer();

    // When a task is submitted there with --wait (piped: plain lines)
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [OPS_CORE_CLI, "submit", "nobody runs this", "--wait", "--timeout", "7"],
          { cwd: REPO_ROOT, env: childEnv(e2e.env(queue)), timeout: 30_000 },
          (error, out, err) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
        );
      },
    );

    // Then after a few seconds it says no worker consumes the queue, and how to start one
    expect(stdout).toMatch(/^task_\S+ pending\n$/);
    const lines = stderr.trim().split("\n");
    expect(lines[0]).toBe(
      `ops-core: no worker is consuming ${queue}: start \`OPS_CORE_QUEUE=${queue} opsq worker ops-core/actors\``,
    );
    expect(lines[1]).toMatch(/^ops-core: task task_\S+ is still pending after 7 s/);
    expect(code).toBe(1);
  });
});
