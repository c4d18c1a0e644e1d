/**
 * `ops-core demo`: runs the embedded demo and prints its outcomes as a table.
 *
 * @module
 */
import { runDemo } from "../../demo/run-demo.js";
import { ExitCode } from "../exit-codes.js";
import { formatDuration, formatTable } from "../format.js";
import type { CliIo } from "../io.js";

/** Runs the demo; exits 0 when every accepted task completed and every rejected one was rejected. */
export async function demoCommand(io: CliIo): Promise<ExitCode> {
  io.out("ops-core demo: in-memory broker, embedded PostgreSQL (PGlite), in-process worker");
  const report = await runDemo({
    ...(io.env ? { env: io.env } : {}),
    onProgress: (step) => io.out(`- ${step}`),
  });
  io.out(`LLM: ${report.llm}`);
  io.out("");
  const rows = report.outcomes.map((outcome) => [
    outcome.label,
    outcome.taskId ? outcome.taskId.slice(0, 13) : "-",
    outcome.status,
    String(outcome.attempts),
    formatDuration(outcome.durationMs),
    outcome.answer ?? outcome.error ?? "",
  ]);
  io.out(formatTable([["TASK", "ID", "STATUS", "ATTEMPTS", "DURATION", "ANSWER / ERROR"], ...rows], 110));
  io.out("");
  const accepted = report.outcomes.filter((outcome) => outcome.status !== "rejected");
  io.out(
    `${accepted.length} tasks run, ${report.outcomes.length - accepted.length} rejected before storing ` +
      `(${report.storedTasks} rows in the task table), in ${formatDuration(report.elapsedMs)}`,
  );
  return accepted.every((outcome) => outcome.status === "completed") ? ExitCode.OK : ExitCode.FAILED;
}
