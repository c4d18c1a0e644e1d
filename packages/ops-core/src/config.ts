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
 *
 * @module
 */
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { REDACTED, redactUrl } from "./redact.js";

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
}

/** Default `RABBITMQ_URL`. */
export const DEFAULT_RABBITMQ_URL = "amqp://guest:guest@localhost:5672";
/** Default `OPS_LLM_MODEL`. */
export const DEFAULT_LLM_MODEL = "gpt-4o-mini";
/** Default `AGENT_EXECUTION_TIMEOUT`, in seconds. */
export const DEFAULT_AGENT_EXECUTION_TIMEOUT_S = 20;

/** Variables whose value must never appear in an error message, even redacted. */
const SECRET_VARIABLES = new Set(["OPS_LLM_API_KEY"]);

const urlWith = (variable: string, protocols: string[], example: string) =>
  z.string().refine((value) => hasProtocol(value, protocols), {
    message: `${variable} must be a ${protocols.map((p) => `${p}//`).join(" or ")} URL such as ${example}`,
  });

const envSchema = z.object({
  DATABASE_URL: urlWith(
    "DATABASE_URL",
    ["postgres:", "postgresql:"],
    "postgres://user@localhost:5432/ops",
  ).optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/i, {
      message: "DATABASE_SCHEMA must be a plain PostgreSQL identifier (letters, digits, underscores)",
    })
    .optional(),
  RABBITMQ_URL: urlWith("RABBITMQ_URL", ["amqp:", "amqps:"], DEFAULT_RABBITMQ_URL).default(
    DEFAULT_RABBITMQ_URL,
  ),
  OPS_LLM_BASE_URL: urlWith("OPS_LLM_BASE_URL", ["http:", "https:"], "http://localhost:11434/v1").optional(),
  OPS_LLM_API_KEY: z.string().optional(),
  OPS_LLM_MODEL: z.string().default(DEFAULT_LLM_MODEL),
  OPS_LLM_MAX_RETRIES: z
    .string()
    .regex(/^\d{1,2}$/, { message: "OPS_LLM_MAX_RETRIES must be a whole number from 0 to 99" })
    .transform(Number)
    .default(2),
  AGENT_EXECUTION_TIMEOUT: z
    .string()
    .refine((value) => Number.isFinite(Number(value)) && Number(value) > 0, {
      message: "AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0",
    })
    .transform(Number)
    .default(DEFAULT_AGENT_EXECUTION_TIMEOUT_S),
});

/**
 * Reads and validates the configuration from `env`. Empty strings count as unset.
 *
 * @throws {ConfigError} naming the first invalid variable, e.g.
 *   `AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0 (got "0")`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OpsConfig {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key]?.trim();
    if (value) relevant[key] = value;
  }
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    const value = relevant[variable];
    const shown = SECRET_VARIABLES.has(variable) || value === undefined ? "" : ` (got "${redactUrl(value)}")`;
    throw new ConfigError(`${issue.message}${shown}`, variable);
  }
  const values = parsed.data;
  const llm: LlmConfig = Object.freeze(
    withRedactedView(
      {
        baseUrl: values.OPS_LLM_BASE_URL,
        apiKey: values.OPS_LLM_API_KEY,
        model: values.OPS_LLM_MODEL,
        maxRetries: values.OPS_LLM_MAX_RETRIES,
      },
      (self) => ({ ...self, apiKey: self.apiKey === undefined ? undefined : REDACTED }),
    ),
  );
  return Object.freeze(
    withRedactedView(
      {
        databaseUrl: values.DATABASE_URL,
        databaseSchema: values.DATABASE_SCHEMA,
        rabbitmqUrl: values.RABBITMQ_URL,
        llm,
        agentExecutionTimeoutMs: Math.round(values.AGENT_EXECUTION_TIMEOUT * 1000),
      },
      (self) => ({
        ...self,
        databaseUrl: self.databaseUrl && redactUrl(self.databaseUrl),
        rabbitmqUrl: redactUrl(self.rabbitmqUrl),
      }),
    ),
  );
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

function hasProtocol(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** Adds non-enumerable `toJSON` and inspect hooks that show `redact(self)` instead of `self`. */
function withRedactedView<T extends object>(self: T, redact: (self: T) => object): T {
  const view = () => redact(self);
  Object.defineProperty(self, "toJSON", { value: view, enumerable: false });
  Object.defineProperty(self, INSPECT, { value: view, enumerable: false });
  return self;
}
