import { inspect } from "node:util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_LLM_MODEL,
  DEFAULT_RABBITMQ_URL,
  loadConfig,
  type OpsConfig,
  requireDatabaseUrl,
} from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";

const configError = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
};

describe("loadConfig", () => {
  it("applies the documented defaults to an empty environment", () => {
    const config = loadConfig({});
    expect({ ...config, llm: { ...config.llm } }).toEqual({
      databaseUrl: undefined,
      databaseSchema: undefined,
      rabbitmqUrl: DEFAULT_RABBITMQ_URL,
      llm: { baseUrl: undefined, apiKey: undefined, model: DEFAULT_LLM_MODEL, maxRetries: 2 },
      agentExecutionTimeoutMs: 20_000,
      actor: {
        queue: "agent_tasks",
        maxRetries: 3,
        minBackoffMs: 1_000,
        maxBackoffMs: 300_000,
        heartbeatMs: 10_000,
        staleAfterMs: 60_000,
        reapIntervalMs: 15_000,
        outboxIntervalMs: 1_000,
        outboxGraceMs: 5_000,
      },
    });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      DATABASE_URL: "postgresql://app:pw@db:5432/ops",
      DATABASE_SCHEMA: "ops_e2e",
      RABBITMQ_URL: "amqps://u:p@mq/vhost",
      OPS_LLM_BASE_URL: "http://127.0.0.1:8080/v1",
      OPS_LLM_API_KEY: "sk-test",
      OPS_LLM_MODEL: "llama3",
      OPS_LLM_MAX_RETRIES: "0",
      AGENT_EXECUTION_TIMEOUT: "0.25",
      OPS_CORE_QUEUE: "agents.e2e-1",
      OPS_CORE_MAX_RETRIES: "0",
      OPS_CORE_MIN_BACKOFF_MS: "50",
      OPS_CORE_MAX_BACKOFF_MS: "200",
    });
    expect(config).toMatchObject({
      actor: { queue: "agents.e2e-1", maxRetries: 0, minBackoffMs: 50, maxBackoffMs: 200 },
      databaseUrl: "postgresql://app:pw@db:5432/ops",
      databaseSchema: "ops_e2e",
      rabbitmqUrl: "amqps://u:p@mq/vhost",
      llm: { baseUrl: "http://127.0.0.1:8080/v1", apiKey: "sk-test", model: "llama3", maxRetries: 0 },
      agentExecutionTimeoutMs: 250,
    });
  });

  it("treats empty and blank values as unset", () => {
    const config = loadConfig({ DATABASE_URL: "", OPS_LLM_BASE_URL: "  ", AGENT_EXECUTION_TIMEOUT: "" });
    expect([config.databaseUrl, config.llm.baseUrl, config.agentExecutionTimeoutMs]).toEqual([
      undefined,
      undefined,
      20_000,
    ]);
  });

  it.each([
    [
      { AGENT_EXECUTION_TIMEOUT: "0" },
      'AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0 (got "0")',
    ],
    [
      { AGENT_EXECUTION_TIMEOUT: "abc" },
      'AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0 (got "abc")',
    ],
    [
      { AGENT_EXECUTION_TIMEOUT: "-5" },
      'AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0 (got "-5")',
    ],
    [
      { DATABASE_URL: "mysql://root:hunter2@db/x" },
      'DATABASE_URL must be a postgres:// or postgresql:// URL such as postgres://user@localhost:5432/ops (got "mysql://root:***@db/x")',
    ],
    [
      { RABBITMQ_URL: "localhost:5672" },
      `RABBITMQ_URL must be a amqp:// or amqps:// URL such as ${DEFAULT_RABBITMQ_URL} (got "localhost:5672")`,
    ],
    [
      { OPS_LLM_BASE_URL: "ftp://x" },
      'OPS_LLM_BASE_URL must be a http:// or https:// URL such as http://localhost:11434/v1 (got "ftp://x")',
    ],
    [{ OPS_LLM_MAX_RETRIES: "many" }, 'OPS_LLM_MAX_RETRIES must be a whole number from 0 to 99 (got "many")'],
    [
      { OPS_CORE_QUEUE: "1queue" },
      'OPS_CORE_QUEUE must be a queue name (letters, digits, "_", "." or "-", starting with a letter or "_") (got "1queue")',
    ],
    [
      { OPS_CORE_QUEUE: "agents.XQ" },
      `OPS_CORE_QUEUE must not end in .DQ or .XQ (those are opsq's own queues) (got "agents.XQ")`,
    ],
    [{ OPS_CORE_MAX_RETRIES: "-1" }, 'OPS_CORE_MAX_RETRIES must be a whole number from 0 to 100 (got "-1")'],
    [
      { OPS_CORE_MIN_BACKOFF_MS: "1.5" },
      'OPS_CORE_MIN_BACKOFF_MS must be a whole number from 0 to 86400000 (got "1.5")',
    ],
    [
      { OPS_CORE_MAX_BACKOFF_MS: "10" },
      "OPS_CORE_MAX_BACKOFF_MS (10) must not be smaller than OPS_CORE_MIN_BACKOFF_MS (1000)",
    ],
    [
      { DATABASE_SCHEMA: "a-b" },
      'DATABASE_SCHEMA must be a plain PostgreSQL identifier (letters, digits, underscores) (got "a-b")',
    ],
  ])("rejects %o with a one-line message naming the variable", (env, message) => {
    const error = configError(env);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain("\n");
    expect(error.variable).toBe(Object.keys(env)[0]);
  });

  it("reads the heartbeat and reaper settings, and refuses a stale threshold under two heartbeats", () => {
    expect(
      loadConfig({
        OPS_CORE_HEARTBEAT_MS: "500",
        OPS_CORE_STALE_AFTER_MS: "1000",
        OPS_CORE_REAP_INTERVAL_MS: "0",
      }).actor,
    ).toMatchObject({ heartbeatMs: 500, staleAfterMs: 1000, reapIntervalMs: 0 });
    expect(loadConfig({ OPS_CORE_HEARTBEAT_MS: "40000" }).actor.staleAfterMs).toBe(80_000);
    expect(configError({ OPS_CORE_HEARTBEAT_MS: "1000", OPS_CORE_STALE_AFTER_MS: "1500" }).message).toBe(
      "OPS_CORE_STALE_AFTER_MS (1500) must be at least twice OPS_CORE_HEARTBEAT_MS (1000), or live tasks would be reclaimed",
    );
  });

  it("raises the default largest backoff to the smallest one when that is larger", () => {
    expect(loadConfig({ OPS_CORE_MIN_BACKOFF_MS: "600000" }).actor).toMatchObject({
      minBackoffMs: 600_000,
      maxBackoffMs: 600_000,
    });
  });

  it("never shows a password in an error message", () => {
    expect(configError({ DATABASE_URL: "mysql://root:hunter2@db/x" }).message).not.toContain("hunter2");
  });

  it.each([
    ["DATABASE_URL", "postgres://app:pa/ss word@db/ops", "postgres://app:***@db/ops"],
    ["OPS_LLM_BASE_URL", "http://alice:se/cret@llm.local/v1", "http://alice:***@llm.local/v1"],
    ["RABBITMQ_URL", "amqp://guest:a b/c@mq:5672", "amqp://guest:***@mq:5672"],
  ])("never shows an unencoded password (raw / or space) of %s", (variable, value, shown) => {
    const message = configError({ [variable]: value }).message;
    expect(message).toContain(`(got "${shown}")`);
    expect(message).not.toMatch(/pa\/ss|word|se\/cret|a b\/c/);
  });
});

describe("config redaction", () => {
  const config: OpsConfig = loadConfig({
    DATABASE_URL: "postgres://app:db-secret@db/ops",
    RABBITMQ_URL: "amqp://guest:mq-secret@mq:5672",
    OPS_LLM_BASE_URL: "https://llm.example/v1",
    OPS_LLM_API_KEY: "sk-very-secret",
  });
  const secrets = ["db-secret", "mq-secret", "sk-very-secret"];

  it("keeps the real values for the code that uses them", () => {
    expect(config.llm.apiKey).toBe("sk-very-secret");
    expect(config.databaseUrl).toBe("postgres://app:db-secret@db/ops");
  });

  it("hides secrets from JSON.stringify, util.inspect and pino", () => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    logger.info({ config }, "config loaded");
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 5 }), lines.join("")]) {
      for (const secret of secrets) expect(shown).not.toContain(secret);
      expect(shown).toContain("***");
      expect(shown).toContain("https://llm.example/v1");
    }
    expect(JSON.parse(JSON.stringify(config))).toMatchObject({
      databaseUrl: "postgres://app:***@db/ops",
      llm: { apiKey: "***" },
    });
  });
});

describe("requireDatabaseUrl", () => {
  it("returns the URL when set", () => {
    expect(requireDatabaseUrl(loadConfig({ DATABASE_URL: "postgres://db/ops" }), "migrate")).toBe(
      "postgres://db/ops",
    );
  });

  it("says which command needs a real database when it is missing", () => {
    expect(() => requireDatabaseUrl(loadConfig({}), "`ops-core migrate`")).toThrow(
      new ConfigError(
        "DATABASE_URL is not set; `ops-core migrate` needs a real PostgreSQL database (e.g. postgres://user@localhost:5432/ops)",
        "DATABASE_URL",
      ),
    );
  });
});
