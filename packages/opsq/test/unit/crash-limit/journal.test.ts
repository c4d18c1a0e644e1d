import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CrashJournal } from "../../../src/crash-limit/journal.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function journal(): CrashJournal {
  const dir = mkdtempSync(join(tmpdir(), "opsq-journal-"));
  dirs.push(dir);
  return new CrashJournal(join(dir, "state"));
}

describe("CrashJournal", () => {
  it("counts deaths per message and queue, from zero again once cleared", () => {
    // Given deaths of two messages on two queues
    const crashes = journal();
    expect(crashes.deaths("q", "m1")).toBe(0);
    crashes.recordDeaths([{ queue: "q", messageId: "m1", actor: "a" }]);
    crashes.recordDeaths([
      { queue: "q", messageId: "m1", actor: "a" },
      { queue: "q", messageId: "m2", actor: "a" },
      { queue: "other", messageId: "m1", actor: "a" },
    ]);

    // Then I expect each counted where it died, and a cleared count back to zero
    expect(crashes.deaths("q", "m1")).toBe(2);
    expect(crashes.deaths("q", "m2")).toBe(1);
    expect(crashes.deaths("other", "m1")).toBe(1);
    crashes.clear("q", "m1");
    expect(crashes.deaths("q", "m1")).toBe(0);
  });

  it("ignores a torn line left by a process that died mid-write", () => {
    const crashes = journal();
    crashes.recordDeaths([{ queue: "q/x", messageId: "m1", actor: "a" }]);
    appendFileSync(join(crashes.dir, `${encodeURIComponent("q/x")}.crashes.jsonl`), '{"died":"m1","act');
    crashes.recordDeaths([{ queue: "q/x", messageId: "m1", actor: "a" }]);
    expect(crashes.deaths("q/x", "m1")).toBe(1);
  });
});
