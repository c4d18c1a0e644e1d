/** Raw-SQL helper for tests that works on both drivers. */
import type { SQL } from "drizzle-orm";
import type { DatabaseHandle } from "../../src/db/client.js";

/** Runs `statement` and returns its rows (PGlite answers `{ rows }`, postgres.js an array). */
export async function sqlRows<T>(handle: DatabaseHandle, statement: SQL): Promise<T[]> {
  const result = (await handle.db.execute(statement)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? [...result] : result.rows;
}
