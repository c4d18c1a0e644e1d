/**
 * Where ops-core keeps message cancels: opsq's `PostgresCancellationBackend` on `DATABASE_URL`,
 * in the table `opsq_cancellations` of `DATABASE_SCHEMA` (the default schema when unset). The
 * worker (`ops-core/actors`) listens to it; `ops-core cancel` writes to it. Each task is sent
 * with its task id as the message id (see `agentTaskMessage`), so a task is cancelled by its id.
 *
 * Light: opsq imports the `postgres` driver on first use only.
 *
 * @module
 */
import { PostgresCancellationBackend } from "opsq";
import type { OpsConfig } from "./config.js";

/** The cancellation table's name, without its schema. */
export const CANCELLATION_TABLE = "opsq_cancellations";

/** The cancellation table, qualified with `schema` when there is one. */
export function cancellationTable(schema: string | undefined): string {
  return schema ? `${schema}.${CANCELLATION_TABLE}` : CANCELLATION_TABLE;
}

/**
 * A cancellation backend on the configured database (its own small pool, opened on first use).
 *
 * @param databaseUrl the `postgres://` URL (`config.databaseUrl`, checked by the caller)
 */
export function openCancellationBackend(config: OpsConfig, databaseUrl: string): PostgresCancellationBackend {
  return new PostgresCancellationBackend({
    url: databaseUrl,
    table: cancellationTable(config.databaseSchema),
  });
}
