/**
 * Scenario 6 (disruptive: changes RabbitMQ settings): messages delayed longer than RabbitMQ's
 * `consumer_timeout` (lowered to 5 s, with the channel tick lowered to 1 s so the server
 * enforces it within a second) still run once, on time: the worker (with `OPSQ_MAX_HOLD_MS`
 * 2000) never holds a delayed delivery longer than 2 s, re-parking it in the `.DQ` instead.
 * A raw consumer holding a delivery shows the timeout is really enforced. The old settings
 * are read first and restored in `finally`.
 */
import { join } from "node:path";
import amqp from "amqplib";
import { openProducerBroker, Producer } from "../lib/producer.js";
import { ADMIN_URL, Admin, rabbitmqctl, uniqueQueue } from "../lib/rabbit.js";
import { readRecords, summarize } from "../lib/records.js";
import { errorText, type Scenario, skipped, Tally, until } from "../lib/scenario.js";
import { describeExit, FIXTURE_ACTORS, WorkerProcess } from "../lib/worker.js";
import { cleanUp, stopWorker, tallyProduced } from "../lib/wrap-up.js";

const CONSUMER_TIMEOUT_MS = 5_000;
const MAX_HOLD_MS = 2_000;
/** How late a delayed message may run. */
const LATE_TOLERANCE_MS = 1_500;

/** The rabbit application settings changed here. */
const SETTINGS = { consumer_timeout: CONSUMER_TIMEOUT_MS, channel_tick_interval: 1_000 } as const;

/** The current values of `keys`, as Erlang terms (`{ok,1800000}` or `undefined`), in one `rabbitmqctl eval`. */
async function getEnv(keys: readonly string[]): Promise<string[]> {
  const out = await rabbitmqctl(
    "eval",
    `io:format("~p~n", [[${keys.map((key) => `application:get_env(rabbit, ${key})`).join(", ")}]]).`,
  );
  const list = out.trim().split("\n")[0]!.replace(/\s+/g, "");
  const terms = list.slice(1, -1).match(/\{ok,[^}]*\}|undefined/g) ?? [];
  if (terms.length !== keys.length) {
    throw new Error(`cannot read ${keys.join(", ")} from rabbitmqctl: ${out.trim()}`);
  }
  return terms;
}

/** Sets each key to a value (an Erlang term), or unsets it for `undefined`, in one `rabbitmqctl eval`. */
async function setEnv(values: ReadonlyMap<string, string>): Promise<void> {
  const calls = [...values].map(([key, term]) => {
    const match = /^\{ok,(.*)\}$/.exec(term);
    return match || term !== "undefined"
      ? `application:set_env(rabbit, ${key}, ${match ? match[1] : term})`
      : `application:unset_env(rabbit, ${key})`;
  });
  await rabbitmqctl("eval", `${calls.join(", ")}, ok.`);
}

/** Holds one delivery unacked on a raw consumer; resolves with the server's reason when it closes the channel. */
async function holdUntilClosed(queue: string, timeoutMs: number): Promise<string | undefined> {
  const model = await amqp.connect(ADMIN_URL, {
    clientProperties: { connection_name: "opsq-chaos-control" },
  });
  model.on("error", () => {});
  try {
    const channel = await model.createChannel();
    const closed = new Promise<string>((resolve) => {
      channel.on("error", (error: Error) => resolve(error.message));
      channel.on("close", () => resolve("closed"));
    });
    await channel.assertQueue(queue, { durable: false, autoDelete: true });
    channel.sendToQueue(queue, Buffer.from("held"));
    await channel.consume(queue, () => {}, { noAck: false });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const reason = await Promise.race([closed, timeout]);
    clearTimeout(timer);
    return reason;
  } finally {
    await model.close().catch(() => {});
  }
}

export const scenario: Scenario = {
  name: "long-delay",
  description: "messages delayed past consumer_timeout (lowered to 5 s) run once, on time",
  disruptive: true,
  async run(options) {
    if (!options.rabbitmqctl) {
      return skipped("rabbitmqctl is not available");
    }
    const tally = new Tally();
    const admin = new Admin();
    const queue = admin.track(uniqueQueue("delay"));
    const record = join(options.dir, "records.jsonl");
    const broker = openProducerBroker({ url: options.rabbitUrl, logFile: join(options.dir, "producer.log") });
    const producer = new Producer(broker, queue);
    const old = new Map<string, string>();
    try {
      const keys = Object.keys(SETTINGS);
      const before = await getEnv(keys);
      for (const [i, key] of keys.entries()) {
        old.set(key, before[i]!);
      }
      tally.note(`RabbitMQ settings before: ${[...old].map(([k, v]) => `${k} ${v}`).join(", ")}`);
      await setEnv(new Map(Object.entries(SETTINGS).map(([key, value]) => [key, String(value)])));
      // Channels read the settings when they open: start the worker and the control after.
      const control = holdUntilClosed(`${queue}-control`, CONSUMER_TIMEOUT_MS + 10_000);
      const worker = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        args: ["--concurrency", "4"],
        env: {
          RABBITMQ_URL: options.rabbitUrl,
          CHAOS_QUEUE: queue,
          CHAOS_RECORD: record,
          OPSQ_MAX_HOLD_MS: String(MAX_HOLD_MS),
        },
        logFile: join(options.dir, "worker.log"),
      });
      await worker.waitReady();
      const delays = options.short
        ? [6_000, 7_000, 8_000]
        : Array.from({ length: 12 }, (_, i) => 7_000 + i * 3_000);
      await producer.run({ count: delays.length, batch: delays.length, delayMs: (n) => delays[n] });
      const reason = await control;
      tally.check(
        reason !== undefined && /acknowledgement|timed out|PRECONDITION/i.test(reason),
        `control: RabbitMQ did not close a channel holding a delivery past ${CONSUMER_TIMEOUT_MS} ms (${reason ?? "still open"})`,
      );
      tally.note(`control consumer holding a delivery: ${reason ?? "not closed"}`);
      const ids = [...producer.confirmed.keys()];
      const longest = Math.max(...delays);
      const done = await until(
        () => summarize(readRecords(record), ids).lost.length === 0,
        longest + 10_000,
        200,
      );
      // A moment more for a late duplicate to show.
      await until(() => false, 1_000);
      const records = readRecords(record).filter((line) => line.ev === "done");
      const lateness = records.map((line) => line.at - (line.due ?? line.at));
      const closedChannels = worker.lines.filter((line) => line.msg === "RabbitMQ closed a consumer channel");
      tally.check(worker.running, `the worker exited (${worker.exit ? describeExit(worker.exit) : "?"})`);
      await stopWorker(tally, worker);
      tally.check(done, "not every delayed message ran");
      tallyProduced(tally, producer, {
        record,
        deadLettered: await admin.count(`${queue}.XQ`),
        exactlyOnce: true,
      });
      tally.check(
        lateness.every((ms) => ms >= 0 && ms <= LATE_TOLERANCE_MS),
        `a message ran off time: lateness ${lateness.join(", ")} ms (allowed 0…${LATE_TOLERANCE_MS})`,
      );
      tally.check(
        closedChannels.length === 0,
        `RabbitMQ closed ${closedChannels.length} worker channel(s): ${String(closedChannels[0]?.reason ?? "")}`,
      );
      tally.note(
        `delays ${delays.map((ms) => ms / 1000).join(", ")} s; ran ${lateness.map((ms) => `+${ms}`).join(", ")} ms after due`,
      );
    } catch (error) {
      tally.fail("scenario aborted", error);
    } finally {
      await cleanUp(tally, admin, broker);
      if (old.size > 0) {
        try {
          await setEnv(old);
          const now = await getEnv([...old.keys()]);
          tally.check(
            now.join() === [...old.values()].join(),
            `settings restored to ${now.join(", ")}, expected ${[...old.values()].join(", ")}`,
          );
        } catch (error) {
          tally.fail(
            `could not restore ${[...old].map(([k, v]) => `${k} ${v}`).join(", ")}`,
            errorText(error),
          );
        }
      }
    }
    return tally.result();
  },
};
