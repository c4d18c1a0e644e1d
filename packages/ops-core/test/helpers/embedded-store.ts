/**
 * A migrated embedded database (PGlite, in memory) with a TaskStore on it, for unit tests.
 * Booting PGlite takes seconds, so create one per test file (`beforeAll`) and `reset()`
 * between tests.
 */
import { sql } from "drizzle-orm";
import { type DatabaseHandle, openEmbeddedDatabase } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { TaskStore } from "../../src/db/task-store.js";

/** A store on a fresh embedded database. */
export interface EmbeddedStore {
  /** The store under test. */
  store: TaskStore;
  /** The database behind it. */
  handle: DatabaseHandle;
  /** Deletes every task. */
  reset(): Promise<void>;
  /** Shuts PGlite down. */
  close(): Promise<void>;
}

/** Boots PGlite, applies the migrations, and returns a store on it. */
export async function createEmbeddedStore(options: { schema?: string } = {}): Promise<EmbeddedStore> {
  const handle = await openEmbeddedDatabase(options);
  await migrate(handle);
  return {
    store: new TaskStore(handle.db),
    handle,
    reset: async () => {
      await handle.db.execute(sql`delete from task`);
    },
    close: () => handle.close(),
  };
}
