/**
 * Logging. Services take any {@link Logger} (a pino logger fits), so tests can pass a
 * recording one; {@link createLogger} makes the pino logger used by the CLI and worker, with
 * secret-looking fields censored.
 *
 * @module
 */
import { LOG_FORMAT_ENV, type LogFormat, logDestination, resolveLogFormat } from "opsq";
import { pino } from "pino";

/** The logging calls ops-core makes: structured details first, then a message (pino's order). */
export interface Logger {
  /** Verbose diagnostics. */
  debug(details: object, message: string): void;
  /** Normal progress. */
  info(details: object, message: string): void;
  /** Something unexpected that was handled. */
  warn(details: object, message: string): void;
  /** A failure. */
  error(details: object, message: string): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. @default process.env.OPS_LOG_LEVEL ?? "info" */
  level?: string;
  /** Name shown on every line. @default "ops-core" */
  name?: string;
  /**
   * JSON lines or pretty lines (opsq's rule).
   * @default from `OPS_LOG_FORMAT`, else `OPSQ_LOG_FORMAT`, else pretty on a terminal and JSON otherwise
   */
  format?: LogFormat;
}

/**
 * Creates a pino logger writing to stdout, JSON lines or pretty lines (see `format`);
 * `apiKey`/`password` fields print as `***` in both.
 */
export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const format =
    options.format ?? resolveLogFormat(process.env.OPS_LOG_FORMAT ?? process.env[LOG_FORMAT_ENV]);
  const settings = {
    name: options.name ?? "ops-core",
    level: options.level ?? process.env.OPS_LOG_LEVEL ?? "info",
    redact: {
      paths: [
        "apiKey",
        "*.apiKey",
        "*.*.apiKey",
        "password",
        "*.password",
        "authorization",
        "*.authorization",
      ],
      censor: "***",
    },
  };
  const destination = logDestination(format);
  return destination === undefined ? pino(settings) : pino(settings, destination);
}
