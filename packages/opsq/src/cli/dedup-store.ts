/**
 * `opsq worker --dedup-url`: adds the Dedup middleware on a PostgreSQL table.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { Dedup } from "../dedup/middleware.js";
import { PostgresDedupBackend } from "../dedup/postgres.js";
import { type Logger, redactUrl } from "../logger.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** Where the worker's dedup keys are. */
export interface DedupStoreOptions {
  /** A postgres:// URL. */
  url: string;
  /** Table of keys. @default "opsq_dedup" */
  table?: string | undefined;
}

/**
 * Connects to the store (creating its table) and adds a Dedup middleware on it, unless the
 * modules' broker already has one.
 *
 * @returns a function that closes the store
 * @throws CliError exit code 2 for a bad URL or table, 3 when the store cannot be reached
 */
export async function addDedup(
  broker: Broker,
  options: DedupStoreOptions,
  logger: Logger,
): Promise<() => Promise<void>> {
  if (broker.middleware.some((middleware) => middleware instanceof Dedup)) {
    logger.warn("the broker already has a Dedup middleware; --dedup-url is ignored");
    return async () => {};
  }
  if (!/^postgres(ql)?:\/\//.test(options.url)) {
    throw new CliError(
      `the dedup store must be a postgres:// URL, got "${redactUrl(options.url)}"`,
      ExitCode.IMPORT_ERROR,
    );
  }
  let backend: PostgresDedupBackend;
  try {
    backend = new PostgresDedupBackend({
      url: options.url,
      ...(options.table === undefined ? {} : { table: options.table }),
    });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.IMPORT_ERROR, {
      cause: error,
    });
  }
  try {
    await backend.connect();
  } catch (error) {
    await backend.close().catch(() => {});
    const reason = redactUrl(error instanceof Error ? error.message : String(error)).replace(
      /\s*\n\s*/g,
      " ",
    );
    throw new CliError(
      `cannot use the dedup store at ${redactUrl(options.url)}: ${reason}`,
      ExitCode.CONNECT_ERROR,
      {
        cause: error,
      },
    );
  }
  broker.addMiddleware(new Dedup({ backend }));
  logger.info({ dedupStore: redactUrl(options.url), table: backend.table }, "deduplication enabled");
  return () => backend.close();
}
