/**
 * Scenario 4: a corpus of malformed bodies published raw (≥ 1,000: invalid JSON and UTF-8,
 * non-objects, missing or extra keys, wrong types, NaN, unknown actors, refused arguments,
 * huge payloads, deep nesting), 10 % of them to the `.DQ`, interleaved with well-formed
 * messages. Every malformed one is dead-lettered (counted in the `.XQ`) with a logged reason,
 * every well-formed one is processed exactly once, and the worker stays up.
 */
import { join } from "node:path";
import { Message } from "opsq";
import { poisonCorpus } from "../lib/poison.js";
import { Admin, uniqueQueue } from "../lib/rabbit.js";
import { doneIds } from "../lib/records.js";
import { type Scenario, Tally, until } from "../lib/scenario.js";
import { describeExit, FIXTURE_ACTORS, WorkerProcess } from "../lib/worker.js";
import { cleanUp, stopWorker, tallyRecords } from "../lib/wrap-up.js";

/** The log lines of a dead-lettering, with where their reason is. */
const DEAD_LETTER_LINES: Record<string, (line: Record<string, unknown>) => unknown> = {
  "undecodable message dead-lettered": (line) => line.reason,
  "message failed; dead-lettered": (line) => (line.err as { message?: unknown } | undefined)?.message,
  "delayed message cannot be re-published; dead-lettered": (line) =>
    (line.err as { message?: unknown } | undefined)?.message,
};

export const scenario: Scenario = {
  name: "poison",
  description: "≥1,000 malformed bodies published raw among well-formed ones: all dead-lettered, worker up",
  disruptive: false,
  async run(options) {
    const tally = new Tally();
    const admin = new Admin();
    const queue = admin.track(uniqueQueue("poison"));
    const record = join(options.dir, "records.jsonl");
    try {
      const worker = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        args: ["--concurrency", "8"],
        env: {
          RABBITMQ_URL: options.rabbitUrl,
          CHAOS_QUEUE: queue,
          CHAOS_RECORD: record,
          OPSQ_LOG_LEVEL: "info",
        },
        logFile: join(options.dir, "worker.log"),
      });
      await worker.waitReady();
      const poison = poisonCorpus(queue, options.short ? 1_000 : 3_000, { huge: options.short ? 2 : 4 });
      const goodCount = options.short ? 200 : 1_000;
      const good = Array.from(
        { length: goodCount },
        (_, n) => new Message({ queueName: queue, actorName: "chaos_work", args: [n] }),
      );
      const items: { queue: string; body: Buffer }[] = [];
      const every = Math.max(1, Math.floor(poison.length / goodCount));
      let g = 0;
      poison.forEach((item, i) => {
        items.push({ queue: i % 10 === 9 ? `${queue}.DQ` : queue, body: item.body });
        if (i % every === 0 && g < good.length) {
          items.push({ queue, body: good[g++]!.encode() });
        }
      });
      while (g < good.length) {
        items.push({ queue, body: good[g++]!.encode() });
      }
      const kinds = new Map<string, number>();
      for (const item of poison) {
        kinds.set(item.kind, (kinds.get(item.kind) ?? 0) + 1);
      }
      const bytes = items.reduce((sum, item) => sum + item.body.length, 0);
      options.log(
        `  publishing ${poison.length} malformed + ${goodCount} well-formed bodies (${(bytes / 1e6).toFixed(1)} MB)`,
      );
      for (let i = 0; i < items.length; i += 200) {
        await admin.publishRaw(items.slice(i, i + 200));
      }
      const goodIds = good.map((message) => message.messageId);
      const xq = `${queue}.XQ`;
      const settled = await until(
        async () => {
          const done = doneIds(record);
          return goodIds.every((id) => done.has(id)) && (await admin.count(xq)) >= poison.length;
        },
        options.short ? 40_000 : 90_000,
        250,
      );
      // A moment more, so that a late extra dead letter would show.
      await until(() => false, 500);
      const deadLettered = await admin.count(xq);
      const deadLetterLines = worker.lines.filter((line) => line.msg in DEAD_LETTER_LINES);
      const withoutReason = deadLetterLines.filter((line) => {
        const reason = DEAD_LETTER_LINES[line.msg]!(line);
        return typeof reason !== "string" || reason.trim() === "";
      });
      const fatal = worker.lines.filter((line) => line.level >= 60);
      tally.check(worker.running, `the worker exited (${worker.exit ? describeExit(worker.exit) : "?"})`);
      await stopWorker(tally, worker);
      tally.check(
        settled,
        "the queue did not settle (every good message processed, every bad one dead-lettered) in time",
      );
      const summary = tallyRecords(tally, {
        record,
        ids: goodIds,
        sent: items.length,
        confirmed: items.length,
        deadLettered,
        expectedDeadLetters: poison.length,
        exactlyOnce: true,
      });
      // A malformed body that did not reach the .XQ is lost too.
      tally.lost += Math.max(0, poison.length - deadLettered);
      tally.check(
        summary.processed === goodCount,
        `${summary.processed} well-formed messages processed, expected ${goodCount}`,
      );
      tally.check(
        deadLetterLines.length === poison.length,
        `${deadLetterLines.length} dead-lettering log lines for ${poison.length} malformed bodies`,
      );
      tally.check(
        withoutReason.length === 0,
        `${withoutReason.length} dead-lettering log line(s) without a reason`,
      );
      tally.check(fatal.length === 0, `fatal log line(s): ${fatal.map((line) => line.msg).join("; ")}`);
      const reasons = new Map<string, number>();
      for (const line of deadLetterLines) {
        const reason = String(DEAD_LETTER_LINES[line.msg]!(line))
          .replace(/\(.*$/, "")
          .replace(/".*$/, "")
          .slice(0, 40)
          .trim();
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 6);
      tally.note(
        `corpus: ${[...kinds].map(([kind, n]) => `${kind} ${n}`).join(", ")}; ${(bytes / 1e6).toFixed(1)} MB`,
      );
      tally.note(`logged reasons (top): ${top.map(([reason, n]) => `${reason} ×${n}`).join("; ")}`);
    } catch (error) {
      tally.fail("scenario aborted", error);
    } finally {
      await cleanUp(tally, admin);
    }
    return tally.result();
  },
};
