/**
 * The StubBroker demo of examples/basic: run in-process and as `npx tsx stub-demo.ts`.
 * Uses opsq's build (dist), like any consumer of the package.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runStubDemo } from "../stub-demo.js";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

describe("examples/basic stub-demo", () => {
  it("runs actors, retries a flaky one, dead-letters a failing one and chains a pipeline", async () => {
    // Given the demo, printing into a list
    const printed: string[] = [];

    // When it runs
    const outcome = await runStubDemo((line) => printed.push(line));

    // Then each part happened as described
    expect(outcome.added).toContain("add(2, 3) = 5");
    expect(outcome.flakyAttempts).toEqual(["failed", "failed", "succeeded"]);
    expect(outcome.pipelineTotal).toBe(30);
    expect(outcome.deadLettered).toEqual(["doomed"]);
    expect(printed).toEqual(outcome.lines);
    expect(printed.filter((line) => line.startsWith("doomed(): attempt"))).toHaveLength(2);
  });

  it("runs as a script with tsx and prints the story", async () => {
    const tsx = createRequire(import.meta.url).resolve("tsx/cli");

    const { stdout } = await promisify(execFile)(process.execPath, [tsx, "stub-demo.ts"], {
      cwd: exampleDir,
      timeout: 20_000,
    });

    expect(stdout).toContain("add(2, 3) = 5");
    expect(stdout).toContain("flaky_fetch(https://example.com): attempt 3 succeeded");
    expect(stdout).toContain("pipeline add(1, 2) → multiply(10) → report received 30");
    expect(stdout).toContain("dead-lettered after their retries ran out: doomed");
  });
});
