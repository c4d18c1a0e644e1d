import { describe, expect, it } from "vitest";
import { type BatchRow, StatementBatcher } from "../../../src/db/statement-batcher.js";

interface Item {
  task_id: string;
  value: number;
}

function recorder(options: { failBatch?: Error } = {}) {
  const calls: { kind: "single" | "batch"; ids: string[] }[] = [];
  const row = (item: Item): BatchRow => ({ task_id: item.task_id, value: item.value });
  const batcher = new StatementBatcher<Item>({
    single: async (item) => {
      calls.push({ kind: "single", ids: [item.task_id] });
      return item.value < 0 ? undefined : row(item);
    },
    batch: async (items) => {
      calls.push({ kind: "batch", ids: items.map((item) => item.task_id) });
      if (options.failBatch) throw options.failBatch;
      return items.filter((item) => item.value >= 0).map(row);
    },
    taskIdOf: (item) => item.task_id,
    maxBatch: 3,
  });
  return { batcher, calls };
}

describe("StatementBatcher", () => {
  it("runs a lone call as its single statement", async () => {
    const { batcher, calls } = recorder();
    expect(await batcher.run({ task_id: "a", value: 1 })).toEqual({ task_id: "a", value: 1 });
    expect(calls).toEqual([{ kind: "single", ids: ["a"] }]);
  });

  it("coalesces the calls of one turn, up to maxBatch, and answers each with its own row", async () => {
    const { batcher, calls } = recorder();
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((id, i) => batcher.run({ task_id: id, value: id === "b" ? -1 : i })),
    );
    expect(results).toEqual([
      { task_id: "a", value: 0 },
      undefined,
      { task_id: "c", value: 2 },
      { task_id: "d", value: 3 },
    ]);
    expect(calls).toEqual([
      { kind: "batch", ids: ["a", "b", "c"] },
      { kind: "single", ids: ["d"] },
    ]);
  });

  it("puts a second call on the same task in a later statement", async () => {
    const { batcher, calls } = recorder();
    await Promise.all([
      batcher.run({ task_id: "a", value: 1 }),
      batcher.run({ task_id: "a", value: 2 }),
      batcher.run({ task_id: "b", value: 3 }),
    ]);
    expect(calls).toEqual([
      { kind: "batch", ids: ["a", "b"] },
      { kind: "single", ids: ["a"] },
    ]);
  });

  it("runs each call alone when the batch fails with a data error", async () => {
    const failBatch = Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" });
    const { batcher, calls } = recorder({ failBatch });
    const results = await Promise.all([
      batcher.run({ task_id: "a", value: 1 }),
      batcher.run({ task_id: "b", value: 2 }),
    ]);
    expect(results).toEqual([
      { task_id: "a", value: 1 },
      { task_id: "b", value: 2 },
    ]);
    expect(calls.map((call) => call.kind)).toEqual(["batch", "single", "single"]);
  });

  it("fails every call of a batch that fails otherwise", async () => {
    const failBatch = Object.assign(new Error("connection lost"), { code: "ECONNRESET" });
    const { batcher } = recorder({ failBatch });
    const results = await Promise.allSettled([
      batcher.run({ task_id: "a", value: 1 }),
      batcher.run({ task_id: "b", value: 2 }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
