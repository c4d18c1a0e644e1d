import { describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";

describe("ops-core demo", () => {
  it("prints the labelled model, an outcome table and a summary, and exits 0", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["demo"], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: {},
    });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    const text = out.join("\n");
    expect(text).toContain('LLM: offline demo model "opsq-offline-demo" (rule-based, not a language model');
    expect(text).toMatch(/^TASK +ID +STATUS +ATTEMPTS +DURATION +ANSWER \/ ERROR$/m);
    expect(text).toMatch(
      /^arithmetic +task_[0-9a-f]{8} +completed +1 +\d.* calculator returned .*"result":126/m,
    );
    expect(text).toMatch(/^bad input +- +rejected +0 +- +inputData\.text: unknown field$/m);
    expect(text).toMatch(/^3 tasks run, 1 rejected before storing \(3 rows in the task table\), in /m);
  }, 60_000);

  it("prints each step as it happens: the database boot first, then each task as it finishes", async () => {
    const out: { line: string; at: number }[] = [];
    const code = await runCli(["demo"], {
      out: (line) => out.push({ line, at: Date.now() }),
      err: () => {},
      env: {},
    });
    expect(code).toBe(0);
    const steps = out.map(({ line }) => line).filter((line) => line.startsWith("- "));
    expect(steps).toEqual([
      expect.stringMatching(/^- starting the embedded PostgreSQL \(PGlite\)/),
      expect.stringMatching(/^- database ready, worker started/),
      "- 3 tasks queued, 1 rejected before storing",
      expect.stringMatching(/^- 1\/3 done: \S+ completed$/),
      expect.stringMatching(/^- 2\/3 done: \S+ completed$/),
      expect.stringMatching(/^- 3\/3 done: \S+ completed$/),
    ]);
    // The first step is printed before the slow database boot, not after it with the rest.
    const first = out.find(({ line }) => line.startsWith("- starting"))!;
    const ready = out.find(({ line }) => line.startsWith("- database ready"))!;
    expect(out[1]).toBe(first);
    expect(ready.at).toBeGreaterThan(first.at);
  }, 60_000);
});
