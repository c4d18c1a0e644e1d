import { describe, expect, it } from "vitest";
import { TaskNotFoundError } from "../../../src/errors.js";
import { pollTaskStatus } from "../../../src/http/poll-task-status.js";
import type { Task, TaskStatus } from "../../../src/task.js";

const task = (status: TaskStatus) => ({ taskId: "t", status }) as Task;

describe("pollTaskStatus", () => {
  it("yields the status now and each change, and ends after a terminal status", async () => {
    const seen = ["pending", "pending", "running", "running", "completed", "completed"] as TaskStatus[];
    let reads = 0;
    const statuses: string[] = [];
    for await (const t of pollTaskStatus(async () => task(seen[reads++]!), {
      intervalMs: 1,
      signal: new AbortController().signal,
    })) {
      statuses.push(t.status);
    }
    expect(statuses).toEqual(["pending", "running", "completed"]);
    expect(reads).toBe(5);
  });

  it("ends when the signal aborts, and rejects with the read's error", async () => {
    const stop = new AbortController();
    const statuses: string[] = [];
    for await (const t of pollTaskStatus(async () => task("running"), {
      intervalMs: 5,
      signal: stop.signal,
    })) {
      statuses.push(t.status);
      stop.abort();
    }
    expect(statuses).toEqual(["running"]);
    const missing = pollTaskStatus(
      async () => {
        throw new TaskNotFoundError("t");
      },
      { signal: new AbortController().signal },
    );
    await expect(missing.next()).rejects.toThrow(TaskNotFoundError);
  });
});
