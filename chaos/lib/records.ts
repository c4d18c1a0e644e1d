/**
 * The fixture actors append one JSON line per event to a record file shared by every worker
 * process of a scenario (`O_APPEND` writes of one short line are atomic), so losses and
 * duplicates are counted across process deaths.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";

/** One line of a record file. */
export interface RecordLine {
  /** `start` when the handler begins, `done` when it returns (just before the ack), `aborted` when its signal stopped the work. */
  ev: "start" | "done" | "aborted";
  /** The message id. */
  id: string;
  /** The message's sequence number (its first argument). */
  n: number;
  /** The worker process. */
  pid: number;
  /** Unix ms of the event. */
  at: number;
  /** Unix ms the message was due at (delayed messages), when the producer said. */
  due?: number;
  /** Whether RabbitMQ had delivered the message before. */
  redelivered: boolean;
}

/**
 * Every complete line of a record file (none when it does not exist yet). A last line without its
 * newline is left out: a worker is appending it while the file is read mid-run (a read may see part
 * of a write), or a worker was SIGKILLed while writing it.
 */
export function readRecords(file: string): RecordLine[] {
  if (!existsSync(file)) {
    return [];
  }
  const lines: RecordLine[] = [];
  const text = readFileSync(file, "utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  for (const line of complete.split("\n")) {
    if (line.trim() !== "") {
      lines.push(JSON.parse(line) as RecordLine);
    }
  }
  return lines;
}

/** Processed, duplicate and lost counts of a record file against the confirmed message ids. */
export interface Summary {
  /** Distinct message ids run to the end. */
  processed: number;
  /** Completed runs beyond the first, over all messages. */
  duplicates: number;
  /** Confirmed ids never run to the end. */
  lost: string[];
  /** Runs started and never finished (the process died or handed the message back). */
  unfinished: number;
  /** Completed runs per id. */
  runs: Map<string, number>;
}

/** Summarises `records` against the ids the producer saw confirmed. */
export function summarize(records: readonly RecordLine[], confirmed: Iterable<string>): Summary {
  const runs = new Map<string, number>();
  let starts = 0;
  let ends = 0;
  let dones = 0;
  for (const line of records) {
    if (line.ev === "start") {
      starts++;
    } else {
      ends++;
      if (line.ev === "done") {
        runs.set(line.id, (runs.get(line.id) ?? 0) + 1);
        dones++;
      }
    }
  }
  const lost = [...confirmed].filter((id) => !runs.has(id));
  return { processed: runs.size, duplicates: dones - runs.size, lost, unfinished: starts - ends, runs };
}

/** Distinct ids run to the end so far. */
export function doneIds(file: string): Set<string> {
  return new Set(
    readRecords(file)
      .filter((line) => line.ev === "done")
      .map((line) => line.id),
  );
}
