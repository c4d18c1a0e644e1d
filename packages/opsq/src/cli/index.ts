/**
 * `opsq/cli`: what a command-line tool built on opsq shares with `opsq worker`: the exit codes
 * and the error that carries one. It loads nothing else (no commander, no broker).
 *
 * @module
 */
export { CliError, ExitCode } from "./exit-codes.js";
