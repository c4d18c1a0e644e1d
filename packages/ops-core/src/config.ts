/**
 * Environment → typed, validated configuration, read once ({@link getConfig}) or on demand
 * ({@link loadConfig}). Errors are one-line {@link ConfigError}s naming the variable; secret
 * values are never echoed. The config objects redact the API key and database password when
 * logged (`toJSON` and Node's inspect hook), so `logger.info({ config })` is safe.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `DATABASE_URL` | PostgreSQL URL (`postgres://…`) | absent → embedded PGlite where allowed |
 * | `DATABASE_SCHEMA` | PostgreSQL schema (search_path) for the tables | the server default |
 * | `RABBITMQ_URL` | AMQP URL | `amqp://guest:guest@localhost:5672` |
 * | `OPS_LLM_BASE_URL` | OpenAI-compatible base URL (`…/v1`) | absent → the offline demo model |
 * | `OPS_LLM_API_KEY` | API key for that endpoint | none |
 * | `OPS_LLM_MODEL` | model name | `gpt-4o-mini` |
 * | `OPS_LLM_MAX_RETRIES` | SDK retries per LLM request | `2` |
 * | `AGENT_EXECUTION_TIMEOUT` | seconds one agent run may take | `20` |
 * | `OPS_CORE_QUEUE` | queue of the `execute_agent_task` actor | `agent_tasks` |
 * | `OPS_CORE_MAX_RETRIES` | retries of a message after a transient failure | `3` |
 * | `OPS_CORE_MIN_BACKOFF_MS` | smallest delay before a retry | `1000` |
 * | `OPS_CORE_MAX_BACKOFF_MS` | largest delay before a retry | `300000` |
 * | `OPS_CORE_HEARTBEAT_MS` | how often a running task's `heartbeat_at` is refreshed | `10000` |
 * | `OPS_CORE_STALE_AFTER_MS` | a `running` task without a heartbeat for this long is reclaimed | `60000` |
 * | `OPS_CORE_REAP_INTERVAL_MS` | how often each worker looks for stale tasks (`0`: never) | `15000` |
 * | `OPS_CORE_OUTBOX_INTERVAL_MS` | how often each worker re-publishes unsent task messages (`0`: never) | `1000` |
 * | `OPS_CORE_OUTBOX_GRACE_MS` | an unsent message is re-published once it is this old | `5000` |
 *
 * Parsing is dependency-free (see `env.ts`): the actors module reads the configuration at
 * import, and the worker's start-up must stay fast.
 *
 * @module
 */
import { EnvReader } from "./env.js";
import { ConfigError } from "./errors.js";
import { REDACTED, redactUrlValue } from "./redact.js";

/** Settings of the LLM endpoint. */
export interface LlmConfig {
  /** OpenAI-compatible base URL; `undefined` selects the offline demo model. */
  readonly baseUrl: string | undefined;
  /** API key (sent as `Authorization: Bearer …`); redacted when logged. */
  readonly apiKey: string | undefined;
  /** Model name sent with every request. @default "gpt-4o-mini" */
  readonly model: string;
  /** How many times the SDK retries a failed request (5xx, 429, connection). @default 2 */
  readonly maxRetries: number;
}

/** The whole ops-core configuration. */
export interface OpsConfig {
  /** PostgreSQL URL; `undefined` means "use the embedded database where that is allowed". */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL schema to put on the search_path; `undefined` keeps the server default. */
  readonly databaseSchema: string | undefined;
  /** AMQP URL of RabbitMQ. @default "amqp://guest:guest@localhost:5672" */
  readonly rabbitmqUrl: string;
  /** LLM endpoint settings. */
  readonly llm: LlmConfig;
  /** Deadline of one agent run, from `AGENT_EXECUTION_TIMEOUT` seconds. @default 20000 */
  readonly agentExecutionTimeoutMs: number;
  /** Queue and retry settings of the `execute_agent_task` actor. */
  readonly actor: ActorConfig;
}

/** Queue and retry settings of the `execute_agent_task` actor (`OPS_CORE_*`). */
export interface ActorConfig {
  /** Queue its messages go to. @default "agent_tasks" */
  readonly queue: string;
  /** Retries after the first attempt, for transient failures. @default 3 */
  readonly maxRetries: number;
  /** Smallest backoff before a retry. @default 1000 */
  readonly minBackoffMs: number;
  /** Largest backoff before a retry. @default 300000 */
  readonly maxBackoffMs: number;
  /** How often a running task's `heartbeat_at` is refreshed. @default 10000 */
  readonly heartbeatMs: number;
  /**
   * A `running` task whose heartbeat is older than this is reclaimed by the reaper (requeued,
   * or failed when its attempts are spent). At least twice `heartbeatMs`. @default 60000
   */
  readonly staleAfterMs: number;
  /** How often each worker runs the reaper; 0 turns it off. @default 15000 */
  readonly reapIntervalMs: number;
  /** How often each worker's outbox relay re-publishes unsent task messages; 0 turns it off. @default 1000 */
  readonly outboxIntervalMs: number;
  /**
   * The relay re-publishes an outbox row once it is this old, so it rarely races the submitter's
   * own publish (a duplicate message is harmless, only wasteful). @default 5000
   */
  readonly outboxGraceMs: number;
}

/** Default `RABBITMQ_URL`. */
export const DEFAULT_RABBITMQ_URL = "amqp://guest:guest@localhost:5672";
/** Default `OPS_LLM_MODEL`. */
export const DEFAULT_LLM_MODEL = "gpt-4o-mini";
/** Default `AGENT_EXECUTION_TIMEOUT`, in seconds. */
export const DEFAULT_AGENT_EXECUTION_TIMEOUT_S = 20;

/** Default `OPS_CORE_QUEUE`. */
export const DEFAULT_QUEUE = "agent_tasks";
/** Default `OPS_CORE_MAX_RETRIES`. */
export const DEFAULT_MAX_RETRIES = 3;
/** Default `OPS_CORE_MIN_BACKOFF_MS`. */
export const DEFAULT_MIN_BACKOFF_MS = 1_000;
/** Default `OPS_CORE_MAX_BACKOFF_MS` (5 min). */
export const DEFAULT_MAX_BACKOFF_MS = 300_000;
/** Default `OPS_CORE_OUTBOX_INTERVAL_MS`. */
export const DEFAULT_OUTBOX_INTERVAL_MS = 1_000;
/** Default `OPS_CORE_OUTBOX_GRACE_MS`. */
export const DEFAULT_OUTBOX_GRACE_MS = 5_000;
/** Default `OPS_CORE_HEARTBEAT_MS`. */
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** Default `OPS_CORE_STALE_AFTER_MS`. */
export const DEFAULT_STALE_AFTER_MS = 60_000;
/** Default `OPS_CORE_REAP_INTERVAL_MS`. */
export const DEFAULT_REAP_INTERVAL_MS = 15_000;

/** Queue and actor names, as opsq (and Dramatiq) accept them. */
const QUEUE_NAME = /^[a-zA-Z_][a-zA-Z0-9._-]*$/;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/i;

/**
 * Reads and validates the configuration from `env`. Empty strings count as unset.
 *
 * @throws {ConfigError} naming the first invalid variable, e.g.
 *   `AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0 (got "0")`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OpsConfig {
  const read = new EnvReader(env);
  const databaseUrl = read.url(
    "DATABASE_URL",
    ["postgres:", "postgresql:"],
    "postgres://user@localhost:5432/ops",
  );
  const databaseSchema = read.matching(
    "DATABASE_SCHEMA",
    SCHEMA_NAME,
    "must be a plain PostgreSQL identifier (letters, digits, underscores)",
  );
  const rabbitmqUrl =
    read.url("RABBITMQ_URL", ["amqp:", "amqps:"], DEFAULT_RABBITMQ_URL) ?? DEFAULT_RABBITMQ_URL;
  const llm: LlmConfig = Object.freeze(
    withRedactedView(
      {
        baseUrl: read.url("OPS_LLM_BASE_URL", ["http:", "https:"], "http://localhost:11434/v1"),
        apiKey: read.string("OPS_LLM_API_KEY"),
        model: read.string("OPS_LLM_MODEL") ?? DEFAULT_LLM_MODEL,
        maxRetries: read.integer("OPS_LLM_MAX_RETRIES", 0, 99) ?? 2,
      },
      (self) => ({ ...self, apiKey: self.apiKey === undefined ? undefined : REDACTED }),
    ),
  );
  const timeoutSeconds =
    read.positiveNumber("AGENT_EXECUTION_TIMEOUT", "seconds") ?? DEFAULT_AGENT_EXECUTION_TIMEOUT_S;
  const actor = readActorConfig(read);
  return Object.freeze(
    withRedactedView(
      {
        databaseUrl,
        databaseSchema,
        rabbitmqUrl,
        llm,
        agentExecutionTimeoutMs: Math.round(timeoutSeconds * 1000),
        actor,
      },
      (self) => ({
        ...self,
        databaseUrl: self.databaseUrl && redactUrlValue(self.databaseUrl),
        rabbitmqUrl: redactUrlValue(self.rabbitmqUrl),
      }),
    ),
  );
}

function readActorConfig(read: EnvReader): ActorConfig {
  const queue = read.matching(
    "OPS_CORE_QUEUE",
    QUEUE_NAME,
    'must be a queue name (letters, digits, "_", "." or "-", starting with a letter or "_")',
  );
  if (queue && /\.(DQ|XQ)$/.test(queue)) {
    throw read.invalid("OPS_CORE_QUEUE", queue, "must not end in .DQ or .XQ (those are opsq's own queues)");
  }
  const minBackoffMs = read.integer("OPS_CORE_MIN_BACKOFF_MS", 0, 86_400_000) ?? DEFAULT_MIN_BACKOFF_MS;
  const maxBackoffMs =
    read.integer("OPS_CORE_MAX_BACKOFF_MS", 0, 604_800_000) ?? Math.max(DEFAULT_MAX_BACKOFF_MS, minBackoffMs);
  if (maxBackoffMs < minBackoffMs) {
    throw new ConfigError(
      `OPS_CORE_MAX_BACKOFF_MS (${maxBackoffMs}) must not be smaller than OPS_CORE_MIN_BACKOFF_MS (${minBackoffMs})`,
      "OPS_CORE_MAX_BACKOFF_MS",
    );
  }
  const heartbeatMs = read.integer("OPS_CORE_HEARTBEAT_MS", 10, 3_600_000) ?? DEFAULT_HEARTBEAT_MS;
  const staleAfterMs =
    read.integer("OPS_CORE_STALE_AFTER_MS", 20, 86_400_000) ??
    Math.max(DEFAULT_STALE_AFTER_MS, 2 * heartbeatMs);
  if (staleAfterMs < 2 * heartbeatMs) {
    throw new ConfigError(
      `OPS_CORE_STALE_AFTER_MS (${staleAfterMs}) must be at least twice OPS_CORE_HEARTBEAT_MS (${heartbeatMs}), or live tasks would be reclaimed`,
      "OPS_CORE_STALE_AFTER_MS",
    );
  }
  return Object.freeze({
    queue: queue ?? DEFAULT_QUEUE,
    maxRetries: read.integer("OPS_CORE_MAX_RETRIES", 0, 100) ?? DEFAULT_MAX_RETRIES,
    minBackoffMs,
    maxBackoffMs,
    heartbeatMs,
    staleAfterMs,
    reapIntervalMs: read.integer("OPS_CORE_REAP_INTERVAL_MS", 0, 86_400_000) ?? DEFAULT_REAP_INTERVAL_MS,
    outboxIntervalMs:
      read.integer("OPS_CORE_OUTBOX_INTERVAL_MS", 0, 86_400_000) ?? DEFAULT_OUTBOX_INTERVAL_MS,
    outboxGraceMs: read.integer("OPS_CORE_OUTBOX_GRACE_MS", 0, 86_400_000) ?? DEFAULT_OUTBOX_GRACE_MS,
  });
}

let cached: OpsConfig | undefined;

/** The process-wide configuration, read from `process.env` on first use and then reused. */
export function getConfig(): OpsConfig {
  cached ??= loadConfig();
  return cached;
}

/**
 * Returns `config.databaseUrl`, or throws a {@link ConfigError} saying that `purpose` needs a
 * real PostgreSQL database (for commands that must not fall back to the embedded one).
 *
 * @example requireDatabaseUrl(config, "the worker") // "DATABASE_URL is not set; the worker needs …"
 */
export function requireDatabaseUrl(config: OpsConfig, purpose: string): string {
  if (config.databaseUrl) return config.databaseUrl;
  throw new ConfigError(
    `DATABASE_URL is not set; ${purpose} needs a real PostgreSQL database (e.g. postgres://user@localhost:5432/ops)`,
    "DATABASE_URL",
  );
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** Adds non-enumerable `toJSON` and inspect hooks that show `redact(self)` instead of `self`. */
function withRedactedView<T extends object>(self: T, redact: (self: T) => object): T {
  const view = () => redact(self);
  Object.defineProperty(self, "toJSON", { value: view, enumerable: false });
  Object.defineProperty(self, INSPECT, { value: view, enumerable: false });
  return self;
}
