/**
 * One call from configuration to a ready {@link TaskStore}: opens PostgreSQL (or the embedded
 * database when no URL is given), optionally migrates, and builds the store. Everything heavy
 * is imported dynamically, so start-up-sensitive modules (the actors) can import this freely.
 *
 * @module
 */

import type { TaskStore } from "../task-store-interface.js";
import type { DatabaseHandle } from "./client.js";

/** Options of {@link openTaskStore}. */
export interface OpenTaskStoreOptions {
  /** PostgreSQL URL; the embedded in-memory database is used when absent. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema (search_path) for the tables. */
  schema?: string | undefined;
  /** Apply the migrations before returning. @default false */
  migrate?: boolean;
}

/** An open store and the handle to close it with. */
export interface OpenedTaskStore {
  /** The store. */
  store: TaskStore;
  /** The underlying database (for migrations or raw queries). */
  database: DatabaseHandle;
  /** Closes the database. */
  close(): Promise<void>;
}

/**
 * Opens a database and returns a {@link TaskStore} on it.
 *
 * @example const { store, close } = await openTaskStore({ databaseUrl: config.databaseUrl });
 */
export async function openTaskStore(options: OpenTaskStoreOptions = {}): Promise<OpenedTaskStore> {
  const [{ openDatabase, openEmbeddedDatabase }, { TaskStore }] = await Promise.all([
    import("./client.js"),
    import("./task-store.js"),
  ]);
  const schema = options.schema ? { schema: options.schema } : {};
  const database = options.databaseUrl
    ? await openDatabase(options.databaseUrl, schema)
    : await openEmbeddedDatabase(schema);
  try {
    if (options.migrate) {
      const { migrate } = await import("./migrate.js");
      await migrate(database);
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  return { store: new TaskStore(database.db), database, close: () => database.close() };
}
