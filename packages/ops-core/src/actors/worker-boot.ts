/**
 * What the ops-core worker does before it consumes anything: checks that PostgreSQL answers, so
 * a worker that cannot store a result takes no task from the queue (each task it took would
 * spend a retry), and says which LLM it will use.
 *
 * Light: the PostgreSQL driver is imported only when the check runs.
 *
 * @module
 */
import { type Logger, MiddlewareError } from "opsq";
import { OFFLINE_MODEL } from "../agent/offline-llm-client.js";
import type { LlmConfig, OpsConfig } from "../config.js";
import { describeError } from "../describe-error.js";
import { redactUrl } from "../redact.js";

/** The longest the start-up check waits for PostgreSQL to answer. */
export const DATABASE_CHECK_TIMEOUT_MS = 10_000;

/**
 * Runs `SELECT 1` on `config.databaseUrl`, then logs the LLM in use.
 *
 * @throws MiddlewareError (one line, password redacted) when PostgreSQL does not answer: the
 *   worker then stops before consuming, and `opsq worker` exits 3
 */
export async function checkBeforeConsuming(config: OpsConfig, logger: Logger): Promise<void> {
  if (config.databaseUrl) await checkDatabase(config.databaseUrl);
  logger.info({ llm: describeLlm(config.llm) }, "ops-core worker: LLM in use");
}

async function checkDatabase(url: string): Promise<void> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, {
    max: 1,
    connect_timeout: Math.ceil(DATABASE_CHECK_TIMEOUT_MS / 1000),
    onnotice: () => {},
  });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new MiddlewareError(
      `PostgreSQL at ${redactUrl(url)} does not answer (${describeError(error)}); no task was taken from the queue`,
      { cause: error },
    );
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The LLM, as logged: the offline model, or the endpoint (password redacted) and model name. */
export function describeLlm(llm: LlmConfig): Record<string, string> {
  if (!llm.baseUrl) {
    return { model: OFFLINE_MODEL, endpoint: "offline (set OPS_LLM_BASE_URL for a real model)" };
  }
  return { model: llm.model, endpoint: redactUrl(llm.baseUrl) };
}
