/**
 * Opens the PostgreSQL task store for a CLI command (never the embedded one: a CLI process
 * would see only its own private database).
 *
 * @module
 */
import { type OpsConfig, requireDatabaseUrl } from "../../config.js";
import type { TaskStore } from "../../task-store-interface.js";

/**
 * Runs `work` with a store on `DATABASE_URL`/`DATABASE_SCHEMA`, closing it afterwards.
 *
 * @param command the command's name, for the missing-`DATABASE_URL` message
 * @throws {ConfigError} when `DATABASE_URL` is not set
 */
export async function withStore<T>(
  config: OpsConfig,
  command: string,
  work: (store: TaskStore) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const databaseUrl = requireDatabaseUrl(config, `\`ops-core ${command}\``);
  const { openTaskStore } = await import("../../db/open-task-store.js");
  const opened = await openTaskStore({ databaseUrl, schema: config.databaseSchema, ...options });
  try {
    return await work(opened.store);
  } finally {
    await opened.close();
  }
}
