#!/usr/bin/env node
/**
 * The `ops-core` executable: runs {@link runCli} on the process arguments and exits with its code.
 *
 * @module
 */
import { exitOnClosedStdout } from "opsq/cli";
import { runCli } from "./program.js";

// `ops-core --help | head -1`: a reader that has all it wanted is a normal end.
exitOnClosedStdout();
process.exitCode = await runCli(process.argv.slice(2));
// Nothing should be left open, but a stray socket must not keep a finished command alive.
setTimeout(() => process.exit(), 1_000).unref();
