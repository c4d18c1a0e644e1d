/**
 * Small, dependency-free readers for environment variables, used by `config.ts`. They are
 * hand-written rather than zod schemas so that the worker's start-up path (the actors module
 * reads the configuration at import) does not pay for loading zod.
 *
 * Every reader treats an empty or blank value as unset and throws a one-line
 * {@link ConfigError} naming the variable, e.g.
 * `AGENT_EXECUTION_TIMEOUT must be a number of seconds greater than 0 (got "0")`.
 *
 * @module
 */
import { ConfigError } from "./errors.js";
import { redactUrlValue } from "./redact.js";

/** Variables whose value must never appear in an error message, even redacted. */
const SECRET_VARIABLES = new Set(["OPS_LLM_API_KEY"]);

/** Reads variables from one environment object. */
export class EnvReader {
  /** @param env the environment to read (e.g. `process.env`) */
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The trimmed value, or `undefined` when unset or blank. */
  string(variable: string): string | undefined {
    const value = this.env[variable]?.trim();
    return value ? value : undefined;
  }

  /**
   * A URL whose protocol is one of `protocols` (e.g. `["amqp:", "amqps:"]`).
   *
   * @throws {ConfigError} `RABBITMQ_URL must be a amqp:// or amqps:// URL such as … (got "…")`
   */
  url(variable: string, protocols: readonly string[], example: string): string | undefined {
    const value = this.string(variable);
    if (value === undefined || hasProtocol(value, protocols)) return value;
    const kinds = protocols.map((protocol) => `${protocol}//`).join(" or ");
    throw this.invalid(variable, value, `must be a ${kinds} URL such as ${example}`);
  }

  /**
   * A value matching `pattern`.
   *
   * @throws {ConfigError} `<variable> <rule> (got "…")`
   */
  matching(variable: string, pattern: RegExp, rule: string): string | undefined {
    const value = this.string(variable);
    if (value === undefined || pattern.test(value)) return value;
    throw this.invalid(variable, value, rule);
  }

  /**
   * A whole number from `min` to `max`.
   *
   * @throws {ConfigError} `<variable> must be a whole number from <min> to <max> (got "…")`
   */
  integer(variable: string, min: number, max: number): number | undefined {
    const value = this.string(variable);
    if (value === undefined) return undefined;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    throw this.invalid(variable, value, `must be a whole number from ${min} to ${max}`);
  }

  /**
   * A finite number greater than 0.
   *
   * @throws {ConfigError} `<variable> must be a number of <unit> greater than 0 (got "…")`
   */
  positiveNumber(variable: string, unit: string): number | undefined {
    const value = this.string(variable);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (Number.isFinite(parsed) && parsed > 0) return parsed;
    throw this.invalid(variable, value, `must be a number of ${unit} greater than 0`);
  }

  /** A one-line error naming the variable and showing its value (redacted; hidden for secrets). */
  invalid(variable: string, value: string, rule: string): ConfigError {
    const shown = SECRET_VARIABLES.has(variable) ? "" : ` (got "${redactUrlValue(value)}")`;
    return new ConfigError(`${variable} ${rule}${shown}`, variable);
  }
}

function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
