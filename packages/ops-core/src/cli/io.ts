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
}

/** stdout/stderr of this process. */
export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** The configuration for a command (validated; throws a one-line ConfigError). */
export function configOf(io: CliIo): OpsConfig {
  return loadConfig(io.env ?? process.env);
}
