/**
 * examples/python-client/client.py (Python 3 standard library only) against `ops-core serve`
 * and an `opsq worker ops-core/actors` subprocess: it submits a task, follows its events to
 * `completed`, and prints the result; and it reports an HTTP error in one line.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eContext, openE2e, servicesAvailable } from "../../helpers/e2e.js";
import { type ServerProcess, spawnServer } from "../../helpers/server-process.js";
import { REPO_ROOT } from "../../helpers/worker-process.js";

const CLIENT = fileURLToPath(new URL("examples/python-client/client.py", `file://${REPO_ROOT}`));
const TOKEN = "python-client-token";
const available = await servicesAvailable();

function python(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("python3", [CLIENT, ...args], { cwd: REPO_ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === "number" ? code : null, stdout, stderr });
    });
  });
}

describe.runIf(available)("examples/python-client against ops-core serve", () => {
  let e2e: E2eContext;
  let server: ServerProcess;

  beforeAll(async () => {
    e2e = await openE2e();
    const { queue } = await e2e.producer();
    server = await spawnServer({ env: e2e.env(queue, { OPS_API_TOKEN: TOKEN }) });
    await e2e.worker(queue);
  });
  afterAll(async () => {
    await server?.stop();
    await e2e?.close();
  });

  it("submits a task, prints each status from the event stream, then the result", async () => {
    const run = await python([
      "--url",
      server.baseUrl,
      "--token",
      TOKEN,
      "--timeout",
      "30",
      "What is 6 * 7?",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    const taskId = /^(\S+) submitted$/.exec(lines[0]!)?.[1];
    expect(taskId).toBeDefined();
    const statuses = lines
      .slice(1)
      .flatMap((line) => (line.startsWith(`${taskId} `) ? [line.split(" ")[1]] : []));
    expect(statuses.at(-1)).toBe("completed");
    // Polled every 250 ms: a status shorter than that may be skipped, but the order holds.
    expect(statuses).toEqual(["pending", "running", "completed"].filter((s) => statuses.includes(s)));
    expect(run.stdout).toContain("Fake answer to: What is 6 * 7?");
    expect(await e2e.store.getTask(taskId!)).toMatchObject({ status: "completed" });
  });

  it("prints the server's one-line error and exits 2 for a wrong token", async () => {
    const run = await python(["--url", server.baseUrl, "--token", "wrong", "goal"]);
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "client.py: HTTP 401 unauthorized: missing or wrong bearer token (Authorization: Bearer <OPS_API_TOKEN>)\n",
    });
  });
});
