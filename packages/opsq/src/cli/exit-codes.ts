/**
 * Exit codes of `opsq worker`, as Dramatiq's, and the error that carries one.
 *
 * @module
 */

/** Exit codes of the worker CLI. */
export const ExitCode = {
  /** Stopped cleanly. */
  OK: 0,
  /** Killed (a second signal) or crashed unexpectedly. */
  KILLED: 1,
  /** A module could not be imported or registered no actors, or an argument is bad (a URL's syntax included). */
  IMPORT_ERROR: 2,
  /**
   * The broker, or a store a middleware needs to boot (the cancellation store), could not be reached
   * at start-up, or the broker refused the worker's queues (declared elsewhere with other arguments).
   */
  CONNECT_ERROR: 3,
} as const;

/**
 * Exit code of a worker process that ended while messages ran (a handler called
 * `process.exit()`, an uncaught error): they were counted against their crash limit
 * (`--max-crashes`), and a supervisor restarts it. Never carried by a {@link CliError}.
 */
export const MESSAGE_CRASH_EXIT_CODE = 4;

/** One of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An expected failure of the CLI: main prints its one-line message (no stack)
 * on stderr and exits with its code.
 */
export class CliError extends Error {
  override name = "CliError";

  /** @param message one line, naming what failed @param exitCode the code to exit with */
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
