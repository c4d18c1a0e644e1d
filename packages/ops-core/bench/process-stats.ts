/**
 * What the bench reads about a process from Linux's /proc: CPU time used, resident memory, and
 * a sampler of the peak resident memory.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** CPU time (user + system) the process has used so far, in ms (10 ms clock ticks). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The process's resident set (`VmRSS`), in KiB. */
export function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : 0;
}

/** Samples `rssKiB(pid)` every `intervalMs` until stopped; `stop()` returns the peak. */
export function sampleRss(pid: number, intervalMs = 50): { stop(): number } {
  let peak = rssKiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssKiB(pid));
    } catch {
      // the process exited
    }
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** The median of `numbers` (0 for none). */
export function median(numbers: readonly number[]): number {
  if (numbers.length === 0) return 0;
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
