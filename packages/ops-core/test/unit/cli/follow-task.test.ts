import { describe, expect, it } from "vitest";
import { followTask, pendingHint } from "../../../src/cli/commands/follow-task.js";
import type { CliIo } from "../../../src/cli/io.js";
import type { Task } from "../../../src/task.js";

/** A store whose task goes through `states`, one per look (the last one repeats). */
function storeGoingThrough(states: Partial<Task>[]) {
  let looks = 0;
  return {
    getTask: async (taskId: string) =>
      ({
        taskId,
        attempts: 0,
        result: null,
        errorMessage: null,
        ...states[Math.min(looks++, states.length - 1)],
      }) as Task,
  };
}

function recordingIo(terminal: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  const live: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...(terminal ? { live: (text: string) => live.push(text) } : {}),
  };
  return { io, out, err, live };
}

const submitted = { taskId: "task_1", status: "pending", attempts: 0 } as Task;
const RUN = [
  { status: "pending" },
  { status: "running", attempts: 1 },
  { status: "running", attempts: 1 },
  { status: "completed", attempts: 1, result: { answer: "42" } },
] satisfies Partial<Task>[];

describe("followTask", () => {
  it("piped: prints a plain line at each change, then the answer", async () => {
    const { io, out, err } = recordingIo(false);

    const code = await followTask(
      storeGoingThrough(RUN),
      submitted,
      { timeoutS: 5, pollMs: 1, queue: "q" },
      io,
    );

    expect(code).toBe(0);
    expect(out).toEqual(["task_1 running (attempt 1)", "task_1 completed", "answer: 42"]);
    expect(err).toEqual([]);
  });

  it("on a terminal: one line rewritten at each look (status, attempt, elapsed), cleared at the end", async () => {
    const { io, out, live } = recordingIo(true);

    const code = await followTask(
      storeGoingThrough(RUN),
      submitted,
      { timeoutS: 5, pollMs: 1, queue: "q" },
      io,
    );

    expect(code).toBe(0);
    expect(live.slice(0, 3)).toEqual([
      expect.stringMatching(/^task_1 pending · \d+ ms$/),
      expect.stringMatching(/^task_1 running \(attempt 1\) · \d+ ms$/),
      expect.stringMatching(/^task_1 running \(attempt 1\) · \d+ ms$/),
    ]);
    expect(live.at(-1)).toBe("");
    expect(out).toEqual([expect.stringMatching(/^task_1 completed in /), "answer: 42"]);
  });

  it("a task still pending gets one hint naming the queue without consumers, then the wait times out", async () => {
    const { io, err } = recordingIo(false);
    let asked = 0;

    const following = followTask(
      storeGoingThrough([{ status: "pending" }]),
      submitted,
      {
        timeoutS: 0.2,
        pollMs: 5,
        hintAfterMs: 20,
        queue: "agent_tasks",
        consumersOf: async () => {
          asked++;
          return 0;
        },
      },
      io,
    );

    await expect(following).rejects.toThrow("task task_1 is still pending after 0.2 s");
    expect(asked).toBe(1);
    expect(err).toEqual([
      "ops-core: no worker is consuming agent_tasks: start `opsq worker ops-core/actors`",
    ]);
  });

  it("exits 1 with the reason when the task fails", async () => {
    const { io, err } = recordingIo(false);

    const code = await followTask(
      storeGoingThrough([{ status: "failed", errorMessage: "boom" }]),
      submitted,
      { timeoutS: 5, pollMs: 1, queue: "q" },
      io,
    );

    expect(code).toBe(1);
    expect(err).toEqual(["ops-core: task task_1 failed: boom"]);
  });
});

describe("pendingHint", () => {
  it("names the queue, and OPS_CORE_QUEUE when it is not the default", () => {
    expect(pendingHint("agent_tasks", 0)).toBe(
      "no worker is consuming agent_tasks: start `opsq worker ops-core/actors`",
    );
    expect(pendingHint("jobs", 0)).toBe(
      "no worker is consuming jobs: start `OPS_CORE_QUEUE=jobs opsq worker ops-core/actors`",
    );
    expect(pendingHint("agent_tasks", 2)).toBe(
      "2 workers are consuming agent_tasks; the task waits for a free slot",
    );
  });
});
