/**
 * Logging with pino: one root logger, children per component and per message,
 * and URL redaction so that credentials never reach a log line or an error.
 *
 * @module
 */
import { pino } from "pino";
import { serializeError } from "./error-text.js";
import { LOG_FORMAT_ENV, type LogFormat, logDestination, resolveLogFormat } from "./log-format.js";

export { REDACTED, redactUrl } from "./redact.js";

/** The logger type used throughout opsq (a pino logger). */
export type Logger = pino.Logger;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. @default process.env.OPSQ_LOG_LEVEL ?? "info" */
  level?: string;
  /** Logger name shown in every line. @default "opsq" */
  name?: string;
  /** JSON lines or pretty lines. @default from `OPSQ_LOG_FORMAT`, else pretty on a terminal and JSON otherwise */
  format?: LogFormat;
}

let root: Logger | undefined;

/**
 * Creates a pino logger writing to stdout (JSON lines, or pretty lines: see `format`), with
 * secret-looking fields censored in both and errors (`err`) written by {@link serializeError}:
 * redacted through their cause chains, and never throwing.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.OPSQ_LOG_LEVEL ?? "info";
  const format =
    level === "silent" ? "json" : (options.format ?? resolveLogFormat(process.env[LOG_FORMAT_ENV]));
  const settings = {
    name: options.name ?? "opsq",
    level,
    redact: { paths: ["password", "*.password", "apiKey", "*.apiKey"], censor: "***" },
    serializers: { err: serializeError },
  };
  const destination = logDestination(format);
  return destination === undefined ? pino(settings) : pino(settings, destination);
}

/** The shared root logger, created on first use. */
export function getLogger(): Logger {
  root ??= createLogger();
  return root;
}

/** Replaces the shared root logger (e.g. to change the level from the CLI). */
export function setLogger(logger: Logger): void {
  root = logger;
}
