import { describe, expect, it } from "vitest";
import { answerOf, formatDuration, formatTable, oneLine } from "../../../src/cli/format.js";
import type { Task } from "../../../src/task.js";

describe("CLI formatting", () => {
  it("aligns columns and leaves no trailing spaces", () => {
    expect(
      formatTable([
        ["ID", "STATUS", "NOTE"],
        ["task_1", "completed", ""],
        ["t2", "failed", "boom"],
      ]),
    ).toBe(["ID      STATUS     NOTE", "task_1  completed", "t2      failed     boom"].join("\n"));
  });

  it("flattens and cuts long cells", () => {
    expect(oneLine("a\n  b\tc", 10)).toBe("a b c");
    expect(oneLine("x".repeat(20), 10)).toBe(`${"x".repeat(9)}…`);
    expect(formatTable([["h"], ["y".repeat(30)]], 5)).toBe(`h\n${"y".repeat(4)}…`);
  });

  it("reads the answer from a result and formats durations", () => {
    expect(answerOf({ result: { answer: "42" } } as unknown as Task)).toBe("42");
    expect(answerOf({ result: null } as unknown as Task)).toBeNull();
    expect([formatDuration(null), formatDuration(87), formatDuration(1234)]).toEqual([
      "-",
      "87 ms",
      "1.23 s",
    ]);
  });
});
