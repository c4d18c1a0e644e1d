/** The command line of bench/scale.ts: parsed and checked (a bad option exits 2 with one line). */
import { parseArgs } from "node:util";

/** What a run measures, and how much. */
export interface ScaleOptions {
  /** Rounds of every cell. */
  rounds: number;
  /** Messages of each enqueue cell (split over its producers) and of each drain cell's prefill. */
  messages: number;
  /** Length of each combined (producers and workers at once) cell, seconds. */
  combinedSeconds: number;
  /** Targets or sections to run; undefined: all. */
  only: Only | undefined;
}

/** `--only`: one kind of target, or one section. */
export type Only = "single" | "cluster" | "enqueue" | "drain" | "combined";
const ONLY: readonly Only[] = ["single", "cluster", "enqueue", "drain", "combined"];

function fail(message: string): never {
  process.stderr.write(`bench/scale: ${message}\n`);
  process.exit(2);
}

function whole(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    fail(`--${name} must be a whole number ≥ ${min}, got '${raw}'`);
  return value;
}

/** Parses `argv`; `--quick` is 1 round of 5,000 messages and 4 s combined cells unless given. */
export function parseScaleOptions(argv: readonly string[]): ScaleOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        rounds: { type: "string" },
        messages: { type: "string" },
        "combined-seconds": { type: "string" },
        only: { type: "string" },
        quick: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    fail((error as Error).message.split("\n")[0]!);
  }
  const quick = values.quick === true;
  const only = values.only as string | undefined;
  if (only !== undefined && !ONLY.includes(only as Only))
    fail(`--only must be one of ${ONLY.join("|")}, got '${only}'`);
  return {
    rounds: whole("rounds", (values.rounds as string | undefined) ?? (quick ? "1" : "2"), 1),
    messages: whole("messages", (values.messages as string | undefined) ?? (quick ? "5000" : "20000"), 100),
    combinedSeconds: whole(
      "combined-seconds",
      (values["combined-seconds"] as string | undefined) ?? (quick ? "4" : "6"),
      2,
    ),
    only: only as Only | undefined,
  };
}
