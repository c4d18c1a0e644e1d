/**
 * `opsq cancel <message-id...>`, and the Cancellation middleware that `opsq worker
 * --cancel-url` adds to the broker. Loaded by the CLI only when one of them is used.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { checkMessageIds } from "../cancellation/backend.js";
import { Cancellation } from "../cancellation/middleware.js";
import { PostgresCancellationBackend } from "../cancellation/postgres.js";
import { type Logger, redactUrl } from "../logger.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** Environment variable giving `--cancel-url` (PostgreSQL URL of the cancellation table). */
export const CANCEL_URL_ENV = "OPSQ_CANCEL_URL";

/** Where cancels are kept, for both commands. */
export interface CancelStoreOptions {
  /** PostgreSQL URL (`--cancel-url`, else `$OPSQ_CANCEL_URL`). */
  url?: string;
  /** Table (`--cancel-table`). @default "opsq_cancellations" */
  table?: string;
}

/** Options of `opsq cancel`. */
export interface CancelCliOptions extends CancelStoreOptions {
  /** Ids of the messages to cancel. */
  messageIds: string[];
  /** How long the cancel is kept, in ms (`--ttl`). @default 7 days */
  ttlMs?: number;
}

/**
 * Records the cancels and prints `cancelled <id>` for each.
 *
 * @throws CliError with exit code 2 (no URL, bad argument) or 3 (PostgreSQL unreachable)
 */
export async function runCancel(
  options: CancelCliOptions,
  io: { writeOut: (text: string) => void },
): Promise<number> {
  const url = options.url ?? process.env[CANCEL_URL_ENV];
  if (url === undefined || url === "") {
    throw new CliError(
      `no cancellation store: give --cancel-url <postgres url> or set ${CANCEL_URL_ENV}`,
      ExitCode.IMPORT_ERROR,
    );
  }
  try {
    checkMessageIds(options.messageIds);
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.IMPORT_ERROR);
  }
  const backend = openBackend({ url, table: options.table }, options.ttlMs);
  try {
    await backend.cancel(options.messageIds);
  } catch (error) {
    throw storeError(url, error);
  } finally {
    await backend.close().catch(() => {});
  }
  io.writeOut(options.messageIds.map((id) => `cancelled ${id}\n`).join(""));
  return ExitCode.OK;
}

/**
 * Adds a Cancellation middleware on PostgreSQL to the broker (`opsq worker --cancel-url`),
 * after checking that the database answers. A broker that already has one keeps it.
 *
 * @returns closes the backend (after the worker stopped)
 * @throws CliError with exit code 2 (bad URL or table) or 3 (PostgreSQL unreachable)
 */
export async function addCancellation(
  broker: Broker,
  options: CancelStoreOptions & { url: string },
  logger: Logger,
): Promise<() => Promise<void>> {
  if (broker.middleware.some((middleware) => middleware instanceof Cancellation)) {
    logger.warn("the broker already has a Cancellation middleware; --cancel-url is ignored");
    return async () => {};
  }
  const backend = openBackend(options);
  try {
    await backend.connect();
  } catch (error) {
    await backend.close().catch(() => {});
    throw storeError(options.url, error);
  }
  broker.addMiddleware(new Cancellation({ backend }));
  logger.info({ cancelStore: redactUrl(options.url), table: backend.table }, "cancellation enabled");
  return () => backend.close();
}

function openBackend(
  options: CancelStoreOptions & { url: string },
  ttlMs?: number,
): PostgresCancellationBackend {
  if (!/^postgres(ql)?:\/\//.test(options.url)) {
    throw new CliError(
      `the cancellation store must be a postgres:// URL, got "${redactUrl(options.url)}"`,
      ExitCode.IMPORT_ERROR,
    );
  }
  try {
    return new PostgresCancellationBackend({
      url: options.url,
      ...(options.table === undefined ? {} : { table: options.table }),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.IMPORT_ERROR, {
      cause: error,
    });
  }
}

function storeError(url: string, error: unknown): CliError {
  const reason = redactUrl(error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
  return new CliError(
    `cannot use the cancellation store at ${redactUrl(url)}: ${reason}`,
    ExitCode.CONNECT_ERROR,
    {
      cause: error,
    },
  );
}
