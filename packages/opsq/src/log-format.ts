/**
 * How log lines look: JSON (one object a line, for machines) or pretty (time, level, message,
 * then the fields and any stack below, for people). Pretty is the default only when stdout is a
 * terminal; `OPSQ_LOG_FORMAT` (or `opsq worker --log-format`) chooses explicitly.
 *
 * pino-pretty is loaded only when pretty output is chosen, so a worker writing JSON loads nothing
 * more than before. Redaction is pino's and runs before either format sees a line.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { DestinationStream } from "pino";

/** The log formats: `json` for machines, `pretty` for a terminal. */
export const LOG_FORMATS = ["json", "pretty"] as const;

/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Environment variable choosing the format (`json` or `pretty`); unset: pretty on a terminal, else JSON. */
export const LOG_FORMAT_ENV = "OPSQ_LOG_FORMAT";

/**
 * The format to use: `requested` when it is `json` or `pretty`, else pretty when `stdout` is a
 * terminal and JSON when it is not (a pipe, a file, a container's log collector).
 *
 * @param requested the user's choice (`--log-format`, an environment variable), any case
 * @param stdout the stream logs go to @default process.stdout
 */
export function resolveLogFormat(
  requested: string | undefined,
  stdout: { isTTY?: boolean } = process.stdout,
): LogFormat {
  const value = requested?.trim().toLowerCase();
  if (value === "json" || value === "pretty") {
    return value;
  }
  return stdout.isTTY === true ? "pretty" : "json";
}

/**
 * The stream pino writes to for `format`: `undefined` for JSON (pino's own stdout), a
 * synchronous pino-pretty stream on stdout for pretty (colours only on a terminal). Synchronous,
 * so no line is lost when the process exits right after logging.
 *
 * @param output where pretty lines go instead of stdout (tests)
 */
export function logDestination(
  format: LogFormat,
  output?: NodeJS.WritableStream,
): DestinationStream | undefined {
  if (format === "json") {
    return undefined;
  }
  // Loaded here, and only here: production (JSON) never pays for it.
  const pretty = createRequire(import.meta.url)("pino-pretty") as (
    options: Record<string, unknown>,
  ) => DestinationStream;
  return pretty({
    sync: true,
    colorize: output === undefined && process.stdout.isTTY === true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname",
    singleLine: true,
    ...(output === undefined ? {} : { destination: output }),
  });
}
