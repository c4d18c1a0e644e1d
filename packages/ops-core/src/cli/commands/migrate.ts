/**
 * `ops-core migrate`: applies the SQL migrations to `DATABASE_URL` (in `DATABASE_SCHEMA`).
 *
 * @module
 */
import { redactUrlValue } from "../../redact.js";
import { type CliIo, configOf } from "../io.js";
import { withStore } from "./open-store.js";

/** Migrates the database and prints where. */
export async function migrateCommand(io: CliIo): Promise<void> {
  const config = configOf(io);
  await withStore(config, "migrate", async () => {}, { migrate: true });
  const where = redactUrlValue(config.databaseUrl!);
  io.out(`migrated ${where}${config.databaseSchema ? ` (schema ${config.databaseSchema})` : ""}`);
}
