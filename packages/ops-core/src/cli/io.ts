/**
 * What the CLI commands need from their surroundings, so tests can run them in-process.
 *
 * @module
 */
import { loadConfig, type OpsConfig } from "../config.js";

/** Output streams and environment of one CLI run. */
export interface CliIo {
  /** Writes one line of normal output (stdout). */
  out(line: string): void;
  /** Writes one line of diagnostics (stderr). */
  err(line: string): void;
  /** Environment to read the configuration from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Rewrites the current line of a terminal in place (`""` clears it); absent when stdout is not a
   * terminal, where commands print plain lines instead.
   */
  live?(text: string): void;
}

/** stdout/stderr of this process (with {@link CliIo.live} when stdout is a terminal). */
export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  ...(process.stdout.isTTY ? { live: (text: string) => void process.stdout.write(`\r\u001b[K${text}`) } : {}),
};

/** The configuration for a command (validated; throws a one-line ConfigError). */
export function configOf(io: CliIo): OpsConfig {
  return loadConfig(io.env ?? process.env);
}
