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
});
