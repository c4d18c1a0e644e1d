/** The figures of a run, cell by cell and round by round, and their markdown tables. */
import { format, median } from "../lib/stats.js";
import { cores } from "./cpu.js";

/** Values per round, by `section|target|cell|metric`. */
export class Figures {
  readonly #values = new Map<string, number[]>();

  /** Adds one round's value. */
  add(section: string, target: string, cell: string, metric: string, value: number): void {
    const key = [section, target, cell, metric].join("|");
    this.#values.set(key, [...(this.#values.get(key) ?? []), value]);
  }

  /** Every round's value (empty when never measured). */
  get(section: string, target: string, cell: string, metric: string): number[] {
    return this.#values.get([section, target, cell, metric].join("|")) ?? [];
  }
}

/** "median (round 1 / round 2 …)", rounded; "—" when not measured. */
export function rounds(values: readonly number[], digits = 0): string {
  if (values.length === 0) return "—";
  const show = (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : "failed");
  const m = median(values.filter(Number.isFinite));
  return values.length === 1 ? show(values[0]!) : `**${show(m)}** (${values.map(show).join(" / ")})`;
}

/** Median cores busy, e.g. "1.93". */
export const coresText = (values: readonly number[]) => (values.length === 0 ? "—" : format(median(values)));

/** A markdown table: a header row and rows of cells. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const align = header.map((_, i) => (i < 2 ? "---" : "---:"));
  return [header, align, ...rows].map((row) => `| ${row.join(" | ")} |`).join("\n");
}

/** The two CPU columns' headers. */
export const CPU_HEADERS = [`machine busy, cores of ${cores}`, "RabbitMQ, cores"] as const;
