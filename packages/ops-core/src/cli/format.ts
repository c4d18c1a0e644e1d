/**
 * Plain-text output of the CLI: aligned tables and one-line task summaries.
 *
 * @module
 */
import type { Task } from "../task.js";

/** Rows as aligned columns (two spaces apart); the first row is the header. Cells are cut to `maxCell`. */
export function formatTable(rows: readonly (readonly string[])[], maxCell = 60): string {
  const cells = rows.map((row) => row.map((cell) => oneLine(cell, maxCell)));
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The agent's answer stored in a task's result, if any. */
export function answerOf(task: Task): string | null {
  const answer = (task.result as { answer?: unknown } | null)?.answer;
  return typeof answer === "string" ? answer : null;
}

/** `1234` → `"1.23 s"`, `87` → `"87 ms"`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}
