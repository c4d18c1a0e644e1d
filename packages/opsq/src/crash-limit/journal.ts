/**
 * The crash journal: a small file per queue, in a state directory, that counts
 * how many times each message was running when its worker process died. It is
 * written only when a process dies (and when a message's count is cleared), and
 * read only for redelivered messages, so a healthy worker pays nothing for it.
 *
 * @module
 */
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A file bigger than this is compacted to its last {@link KEEP_LINES} lines on the next write. */
const COMPACT_AT_BYTES = 256 * 1024;
const KEEP_LINES = 1_000;

/** One message that was running when its process died. */
export interface CrashVictim {
  /** Its canonical queue. */
  queue: string;
  /** Its message id. */
  messageId: string;
  /** Its actor. */
  actor: string;
}

/** Deaths per message, kept in `<dir>/<queue>.crashes.jsonl` (one JSON line per event). */
export class CrashJournal {
  /** The state directory holding the journal files. */
  readonly dir: string;

  /** @param dir the state directory (created on the first write) */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** How many times `messageId` was running when its process died, since its count was last cleared. */
  deaths(queue: string, messageId: string): number {
    let text: string;
    try {
      text = readFileSync(this.#file(queue), "utf8");
    } catch {
      return 0; // no journal yet: no death
    }
    let count = 0;
    for (const line of text.split("\n")) {
      if (!line.includes(messageId)) {
        continue;
      }
      try {
        const entry = JSON.parse(line) as { died?: string; cleared?: string };
        if (entry.died === messageId) {
          count++;
        } else if (entry.cleared === messageId) {
          count = 0;
        }
      } catch {
        // a torn line (a process died mid-write): ignored
      }
    }
    return count;
  }

  /** Records one death of each victim. Synchronous: it runs while the process exits. */
  recordDeaths(victims: readonly CrashVictim[], atMs = Date.now()): void {
    const byQueue = new Map<string, string[]>();
    for (const { queue, messageId, actor } of victims) {
      const lines = byQueue.get(queue) ?? [];
      lines.push(JSON.stringify({ died: messageId, actor, at: atMs }));
      byQueue.set(queue, lines);
    }
    for (const [queue, lines] of byQueue) {
      this.#append(queue, lines);
    }
  }

  /** Clears the count of a message (it was dead-lettered), so a requeued copy starts from zero. */
  clear(queue: string, messageId: string): void {
    this.#append(queue, [JSON.stringify({ cleared: messageId })]);
  }

  #append(queue: string, lines: string[]): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.#file(queue);
    this.#compactIfBig(file);
    // One write with O_APPEND: lines of processes sharing the file do not interleave.
    appendFileSync(file, `${lines.join("\n")}\n`);
  }

  #compactIfBig(file: string): void {
    try {
      if (statSync(file).size < COMPACT_AT_BYTES) {
        return;
      }
      const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
      writeFileSync(file, `${lines.slice(-KEEP_LINES).join("\n")}\n`);
    } catch {
      // no file yet
    }
  }

  #file(queue: string): string {
    return join(this.dir, `${encodeURIComponent(queue)}.crashes.jsonl`);
  }
}
