/**
 * `opsq/cli`: what a command-line tool built on opsq shares with `opsq worker`: the exit codes,
 * the error that carries one, and the handling of a closed stdout. It loads nothing else (no
 * commander, no broker).
 *
 * @module
 */

export { CliError, ExitCode } from "./exit-codes.js";
export { exitOnClosedStdout } from "./exit-on-closed-stdout.js";
