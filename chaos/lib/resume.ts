/**
 * How long consuming stopped after a node died: from the record file of the fixture actors, for
 * each worker process, the end of its longest pause between two completed messages that
 * overlaps the window after the death, measured from the death. A worker the death did not touch
 * shows a pause of a few milliseconds; one whose node (or queue leader) died shows the time its
 * recovery took, end to end (a producer's own failover included, since a worker with nothing to
 * do completes nothing either).
 *
 * @module
 */
import type { RecordLine } from "./records.js";

/** Milliseconds from `deathAt` until each worker process completed messages again, one per pid. */
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
    let previous = dones.filter((at) => at <= deathAt).at(-1) ?? deathAt;
    let resumedAt: number | undefined;
    let longest = -1;
    for (const at of dones) {
      if (at <= deathAt) {
        continue;
      }
      if (previous > deathAt + windowMs) {
        break;
      }
      if (at - previous > longest) {
        longest = at - previous;
        resumedAt = at;
      }
      previous = at;
    }
    if (resumedAt !== undefined) {
      times.push(resumedAt - deathAt);
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
