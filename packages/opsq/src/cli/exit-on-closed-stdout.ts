/**
 * A reader that stops early (`opsq --help | head -1`) closes the pipe; the next write to stdout
 * then fails with EPIPE. For a command-line tool that is a normal end, not a crash.
 *
 * @module
 */

/**
 * Makes an EPIPE on `stream` end the process with code 0 (the reader has all it wanted);
 * other stream errors are left to the process's own handling.
 *
 * @param stream the output to watch @default process.stdout
 */
export function exitOnClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") {
      process.exit(0);
    }
    throw error;
  });
}
