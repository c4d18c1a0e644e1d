/**
 * Batches the deletes of confirmed outbox rows: the confirms of many submissions in flight at
 * once arrive together, and one `DELETE … WHERE id IN (…)` serves all the ids asked for in the
 * same turn of the event loop. Each caller still waits for its own row's delete.
 *
 * @module
 */
import type { TaskStore } from "./task-store-interface.js";

interface Batch {
  ids: number[];
  done: Promise<void>;
}

// One pending batch per store, flushed on the next turn of the event loop.
const pending = new WeakMap<TaskStore, Batch>();

/**
 * Deletes the outbox row `id` of `store`, together with the others asked for in the same turn.
 *
 * @throws the store's error when the batch's delete failed (the rows stay; the relay re-sends them)
 */
export function deleteConfirmed(store: TaskStore, id: number): Promise<void> {
  let batch = pending.get(store);
  if (batch === undefined) {
    const ids: number[] = [];
    const created: Batch = {
      ids,
      done: new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        pending.delete(store);
        await store.deleteMessages(ids);
      }),
    };
    pending.set(store, created);
    batch = created;
  }
  batch.ids.push(id);
  return batch.done;
}
