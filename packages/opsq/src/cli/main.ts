#!/usr/bin/env node
/**
 * The `opsq` executable: the process-level parts around {@link runCli}.
 * First SIGTERM/SIGINT: graceful stop; second: exit at once with code 1.
 * An uncaught error exits with code 1.
 *
 * @module
 */
import { serializeError } from "../error-text.js";
import { getLogger } from "../logger.js";
import { ExitCode } from "./exit-codes.js";
import { exitOnClosedStdout } from "./exit-on-closed-stdout.js";
import { runCli } from "./program.js";
import { READY_MESSAGE, WORKER_PROCESS_ENV } from "./supervisor.js";

const stop = new AbortController();
const force = new AbortController();
let signals = 0;

function onSignal(signal: NodeJS.Signals): void {
  signals++;
  if (signals === 1) {
    stop.abort(signal);
    return;
  }
  force.abort(signal);
  process.exit(ExitCode.KILLED);
}

function crash(error: unknown): void {
  // Serialized here, whatever the logger: redacted through its cause chain, and it cannot throw.
  getLogger().fatal({ err: serializeError(error) }, "unexpected error; exiting");
  process.exit(ExitCode.KILLED);
}

process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);
exitOnClosedStdout();

const index = Number(process.env[WORKER_PROCESS_ENV]);
const workerProcess = Number.isInteger(index) && index > 0 ? index : undefined;
if (workerProcess !== undefined) {
  // The supervisor is gone (killed): stop as if it had sent SIGTERM.
  process.on("disconnect", () => stop.abort("disconnect"));
}

const code = await runCli(process.argv.slice(2), {
  stop: stop.signal,
  force: force.signal,
  workerProcess,
  onReady: () => process.send?.(READY_MESSAGE),
});
process.exit(code);
