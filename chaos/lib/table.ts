/**
 * The results table every chaos run prints (`npm run chaos`, `npm run chaos:cluster`): one row
 * per scenario, in Markdown.
 *
 * @module
 */
import type { ScenarioResult } from "./scenario.js";

/** One scenario's line of the table. */
export interface Row {
  name: string;
  result: ScenarioResult;
  seconds: number;
}

/** The columns, in order. */
const COLUMNS = [
  "scenario",
  "pass",
  "sent",
  "confirmed",
  "processed",
  "dead-lettered",
  "lost",
  "duplicates",
  "seconds",
];

/** The results as a Markdown table. */
export function table(rows: readonly Row[]): string {
  const cells = rows.map(({ name, result, seconds }) => [
    name,
    result.skipped ? "SKIP" : result.pass ? "PASS" : "FAIL",
    String(result.sent),
    String(result.confirmed),
    String(result.processed),
    String(result.deadLettered),
    String(result.lost),
    result.duplicates === undefined ? "-" : String(result.duplicates),
    seconds.toFixed(1),
  ]);
  const widths = COLUMNS.map((column, i) => Math.max(column.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, i) => (i === 0 || i === 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((width, i) => (i < 2 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ")} |`;
  return [line(COLUMNS), rule, ...cells.map(line)].join("\n");
}
