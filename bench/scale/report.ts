/** The markdown report of a scale-out run: a header line, then one table per section run. */
import { loadAverage, type Machine } from "../lib/machine.js";
import type { ScaleOptions } from "./options.js";
import { CPU_HEADERS, coresText, type Figures, rounds, table } from "./table.js";
import type { Target } from "./target.js";

/** Producer counts of the enqueue cells. */
export const PRODUCERS = [1, 2, 3, 4];
/** Worker counts of the drain cells. */
export const WORKERS = [1, 2, 4];
/** Producers × workers of the combined cells. */
export const MATRIX: readonly (readonly [number, number])[] = [
  [1, 1],
  [2, 2],
  [4, 4],
  [1, 4],
  [4, 1],
];
/** Cell names, by section. */
export const CELLS = {
  enqueue: [...PRODUCERS.map(String), "1 sendMany"],
  drain: WORKERS.map(String),
  combined: MATRIX.map(([p, w]) => `${p}×${w}`),
} as const;

/** What the report is made of. */
export interface ReportInput {
  figures: Figures;
  targets: readonly Target[];
  options: ScaleOptions;
  machine: Machine;
  sections: readonly (keyof typeof CELLS)[];
}

/** The report, markdown. */
export function report({ figures, targets, options, machine, sections }: ReportInput): string {
  const cpu = (section: string, target: Target, cell: string) => [
    coresText(figures.get(section, target.name, cell, "machine")),
    coresText(figures.get(section, target.name, cell, "rabbit")),
  ];
  const rows = (section: keyof typeof CELLS, metrics: readonly string[]) =>
    targets.flatMap((t) =>
      CELLS[section].map((cell) => [
        t.name,
        cell,
        ...metrics.map((m) => rounds(figures.get(section, t.name, cell, m))),
        ...cpu(section, t, cell),
      ]),
    );
  const out = [
    `${machine.date}, ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}, RabbitMQ ${machine.rabbitmq}; ` +
      `load average ${machine.loadStart} at the start, ${loadAverage()} at the end`,
    `${options.rounds} round(s): median in bold, then each round; ${options.messages} messages per enqueue and ` +
      `drain cell, ${options.combinedSeconds} s per combined cell`,
  ];
  if (sections.includes("enqueue")) {
    out.push(
      "### Enqueue, msg/s (producer processes, all `send()` in flight, released together)\n\n" +
        table(["target", "producers", "msg/s", ...CPU_HEADERS], rows("enqueue", ["rate"])),
    );
  }
  if (sections.includes("drain")) {
    out.push(
      "### Drain, msg/s (worker processes, concurrency 50, pre-filled queue)\n\n" +
        table(
          ["target", "workers", "spawn → last", "first → last", "worker CPU µs/msg", ...CPU_HEADERS],
          rows("drain", ["spawn", "firstLast", "workerUs"]),
        ),
    );
  }
  if (sections.includes("combined")) {
    out.push(
      "### Combined, msg/s after the first second (producers × workers at once)\n\n" +
        table(
          ["target", "P×W", "processed", "enqueued", "backlog at end", ...CPU_HEADERS],
          rows("combined", ["processed", "enqueued", "backlog"]),
        ),
    );
  }
  return `\n${out.join("\n\n")}\n`;
}
