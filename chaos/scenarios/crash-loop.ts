/**
 * Scenario: poison messages that crash their worker. `opsq worker --processes 2` runs
 * well-formed messages among a few whose handler calls `process.exit(0)`. Each poison message
 * kills a worker process (which says so and exits 4; the supervisor restarts it) until it has
 * done so `--max-crashes` (3) times; it is then dead-lettered with that reason. Every good
 * message runs, and the supervisor never gives up.
 */
import { join } from "node:path";
import { Message } from "opsq";
import { Admin, uniqueQueue } from "../lib/rabbit.js";
import { doneIds } from "../lib/records.js";
import { type Scenario, Tally, until } from "../lib/scenario.js";
import { describeExit, FIXTURE_ACTORS, WorkerProcess } from "../lib/worker.js";
import { cleanUp, stopWorker, tallyRecords } from "../lib/wrap-up.js";

const MAX_CRASHES = 3;

export const scenario: Scenario = {
  name: "crash-loop",
  description:
    "poison messages that call process.exit(0) under --processes 2: dead-lettered after 3 deaths each",
  disruptive: false,
  async run(options) {
    const tally = new Tally();
    const admin = new Admin();
    const queue = admin.track(uniqueQueue("crash-loop"));
    const record = join(options.dir, "records.jsonl");
    try {
      const worker = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        args: [
          "--processes",
          "2",
          "--concurrency",
          "4",
          "--max-crashes",
          String(MAX_CRASHES),
          "--state-dir",
          join(options.dir, "state"),
        ],
        env: {
          RABBITMQ_URL: options.rabbitUrl,
          CHAOS_QUEUE: queue,
          CHAOS_RECORD: record,
          OPSQ_LOG_LEVEL: "info",
        },
        logFile: join(options.dir, "worker.log"),
      });
      await worker.waitReady(2);
      const goodCount = options.short ? 200 : 1_000;
      const poisonCount = options.short ? 2 : 5;
      const good = Array.from(
        { length: goodCount },
        (_, n) => new Message({ queueName: queue, actorName: "chaos_work", args: [n] }),
      );
      const poison = Array.from(
        { length: poisonCount },
        () => new Message({ queueName: queue, actorName: "chaos_exit", args: [] }),
      );
      // The poison messages spread evenly among the good ones.
      const items: { queue: string; body: Buffer }[] = [];
      const every = Math.floor(goodCount / poisonCount);
      good.forEach((message, i) => {
        items.push({ queue, body: message.encode() });
        if (i % every === 0 && i / every < poisonCount) {
          items.push({ queue, body: poison[i / every]!.encode() });
        }
      });
      options.log(`  publishing ${goodCount} good messages and ${poisonCount} that call process.exit(0)`);
      for (let i = 0; i < items.length; i += 200) {
        await admin.publishRaw(items.slice(i, i + 200));
      }
      const goodIds = good.map((message) => message.messageId);
      const xq = `${queue}.XQ`;
      const started = Date.now();
      const settled = await until(
        async () => {
          const done = doneIds(record);
          return goodIds.every((id) => done.has(id)) && (await admin.count(xq)) >= poisonCount;
        },
        options.short ? 60_000 : 120_000,
        250,
      );
      const settledMs = Date.now() - started;
      const deadLettered = await admin.count(xq);
      const limitLines = worker.lines.filter(
        (line) => line.msg === "message keeps killing its worker; dead-lettering it",
      );
      const exitLines = worker.lines.filter(
        (line) =>
          line.msg === "worker process exiting from inside a handler; its message is counted as a crash",
      );
      const gaveUp = worker.lines.some((line) => line.msg === "worker process keeps dying; stopping");
      tally.check(worker.running, `the supervisor exited (${worker.exit ? describeExit(worker.exit) : "?"})`);
      tally.check(!gaveUp, "the supervisor gave up on a worker process");
      tally.check(
        settled,
        "not every good message ran, or not every poison message was dead-lettered, in time",
      );
      await stopWorker(tally, worker);
      const poisonIds = new Set(poison.map((message) => message.messageId));
      tally.check(
        limitLines.length === poisonCount &&
          limitLines.every((line) => poisonIds.has(line.message_id as string)),
        `${limitLines.length} crash-limit dead-letterings logged, expected ${poisonCount} (one per poison message)`,
      );
      // Each poison message is dead-lettered after MAX_CRASHES deaths; when both run in the process
      // one of them kills, that one exit counts for both, so there are MAX_CRASHES to
      // poisonCount × MAX_CRASHES exits.
      tally.check(
        exitLines.length >= MAX_CRASHES && exitLines.length <= poisonCount * MAX_CRASHES,
        `${exitLines.length} "exiting from inside a handler" lines, expected ${MAX_CRASHES} to ${poisonCount * MAX_CRASHES}`,
      );
      // At least once: a good message running beside a poison one in the process it kills runs again.
      tallyRecords(tally, {
        record,
        ids: goodIds,
        sent: items.length,
        confirmed: items.length,
        deadLettered,
        expectedDeadLetters: poisonCount,
        exactlyOnce: false,
      });
      tally.note(
        `${poisonCount} poison × ${MAX_CRASHES} deaths = ${exitLines.length} worker exits; settled in ${(settledMs / 1000).toFixed(1)} s`,
      );
    } catch (error) {
      tally.fail("scenario aborted", error);
    } finally {
      await cleanUp(tally, admin);
    }
    return tally.result();
  },
};
