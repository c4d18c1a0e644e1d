import { describe, expect, it } from "vitest";
import { deleteConfirmed } from "../../src/outbox-deletes.js";
import type { TaskStore } from "../../src/task-store-interface.js";

/** A store recording each deleteMessages call (failing when asked). */
function recordingStore(fail = false) {
  const calls: number[][] = [];
  const store = {
    deleteMessages: async (ids: readonly number[]) => {
      calls.push([...ids]);
      if (fail) throw new Error("connection lost");
      return ids.length;
    },
  } as unknown as TaskStore;
  return { store, calls };
}

describe("deleteConfirmed", () => {
  it("deletes the ids asked for in one turn with one statement, and each caller waits for it", async () => {
    const { store, calls } = recordingStore();
    await Promise.all([deleteConfirmed(store, 1), deleteConfirmed(store, 2), deleteConfirmed(store, 3)]);
    expect(calls).toEqual([[1, 2, 3]]);
    await deleteConfirmed(store, 4);
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  it("keeps the batches of two stores apart", async () => {
    const a = recordingStore();
    const b = recordingStore();
    await Promise.all([
      deleteConfirmed(a.store, 1),
      deleteConfirmed(b.store, 2),
      deleteConfirmed(a.store, 3),
    ]);
    expect(a.calls).toEqual([[1, 3]]);
    expect(b.calls).toEqual([[2]]);
  });

  it("rejects every caller of a batch whose delete failed, and starts a fresh batch afterwards", async () => {
    const { store, calls } = recordingStore(true);
    const results = await Promise.allSettled([deleteConfirmed(store, 1), deleteConfirmed(store, 2)]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    await expect(deleteConfirmed(store, 3)).rejects.toThrow("connection lost");
    expect(calls).toEqual([[1, 2], [3]]);
  });
});
