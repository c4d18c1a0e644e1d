import { describe, expect, it } from "vitest";
import { runDemo } from "../../../src/demo/run-demo.js";

describe("runDemo", () => {
  it("runs the demo tasks through the real actor and rejects the bad one up front", async () => {
    const report = await runDemo({ env: {} });
    expect(report.offline).toBe(true);
    expect(report.llm).toContain('offline demo model "opsq-offline-demo"');
    expect(report.outcomes.map(({ label, status, attempts }) => ({ label, status, attempts }))).toEqual([
      { label: "arithmetic", status: "completed", attempts: 1 },
      { label: "time", status: "completed", attempts: 1 },
      { label: "echo", status: "completed", attempts: 1 },
      { label: "bad input", status: "rejected", attempts: 0 },
    ]);
    const [arithmetic, time, echo, bad] = report.outcomes;
    expect(arithmetic!.answer).toContain('"result":126');
    expect(time!.answer).toMatch(/current_time returned \{"iso":"\d{4}-\d\d-\d\dT/);
    expect(echo!.answer).toContain('{"text":"hello from opsq"}');
    expect(bad).toMatchObject({ taskId: null, answer: null, error: "inputData.text: unknown field" });
    for (const outcome of [arithmetic, time, echo]) {
      expect(outcome!.taskId).toMatch(/^task_/);
      expect(outcome!.error).toBeNull();
      expect(outcome!.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(report.storedTasks).toBe(3);
  }, 60_000);
});
