/** A {@link Logger} that keeps every line, so tests can assert what was logged. */
import type { Logger } from "../../src/logger.js";

/** One logged line. */
export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  details: object;
  message: string;
}

/** A logger recording into `lines`. */
export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
}

/** Creates a {@link RecordingLogger}. */
export function createRecordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (details: object, message: string): void => {
      lines.push({ level, details, message });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
