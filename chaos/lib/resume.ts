/**
 * How long consuming stopped when a node died: from the record file of the fixture actors, for
 * each worker process, its longest pause between two completed messages in the window after the
 * fault began, counted from the death when the pause began before it (a kill -9), else from the
 * last message completed before the pause (a drain or stop_app, whose CLI takes seconds before
 * the node drops its clients). A worker the death did not touch shows a pause of a few
 * milliseconds; one whose node (or queue leader) died shows its recovery, end to end (a
 * producer's own failover included, since a worker with nothing to do completes nothing).
 *
 * @module
 */
import type { RecordLine } from "./records.js";

/** Milliseconds each worker process stopped completing messages after `deathAt`, one per pid. */
export function resumeTimes(
  records: readonly RecordLine[],
  deathAt: number,
  pids: readonly number[],
  windowMs = 60_000,
): number[] {
  const times: number[] = [];
  for (const pid of pids) {
    const dones = records
      .filter((line) => line.ev === "done" && line.pid === pid)
      .map((line) => line.at)
      .sort((a, b) => a - b);
    let previous = Math.max(dones.filter((at) => at <= deathAt).at(-1) ?? deathAt, deathAt);
    let longest: number | undefined;
    for (const at of dones) {
      if (at <= deathAt) {
        continue;
      }
      if (previous > deathAt + windowMs) {
        break;
      }
      longest = Math.max(longest ?? 0, at - previous);
      previous = at;
    }
    if (longest !== undefined) {
      times.push(longest);
    }
  }
  return times;
}

/** The value below which `fraction` of `values` lie (nearest rank); NaN when empty. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
