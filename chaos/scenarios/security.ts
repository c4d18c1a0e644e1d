/**
 * Scenario 7: security.
 * - A worker given a wrong password exits 3 with a one-line error that hides the password.
 * - `amqps://` URLs with TLS socket options are accepted; connecting to a plain-AMQP port (or
 *   to no server) fails with a clear ConnectionFailedError, not a crash, in-process and in the CLI.
 * - Actor names from messages only reach registered actors: prototype names and near-misses
 *   are dead-lettered as unknown actors; nothing runs but the registered actor.
 * - Message size is bounded: `send()` of a body over `maxMessageBytes` fails with
 *   MessageTooLargeError naming actor, size and limit, and nothing is published.
 * - Last, every log and error text of the whole run is grepped for every secret of the run
 *   (the RabbitMQ password, the PostgreSQL password, the LLM API key, the wrong password).
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConnectionFailedError, defineActor, Message, MessageTooLargeError, RabbitmqBroker } from "opsq";
import { Admin, fileLogger, uniqueQueue } from "../lib/rabbit.js";
import { readRecords } from "../lib/records.js";
import { errorText, type Scenario, Tally, until } from "../lib/scenario.js";
import { describeExit, FIXTURE_ACTORS, WorkerProcess } from "../lib/worker.js";
import { cleanUp, stopWorker } from "../lib/wrap-up.js";

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString().replace(/\/$/, "");
}

export const scenario: Scenario = {
  name: "security",
  description: "no secret in any log; amqps:// accepted; only registered actors run; size bound on send",
  disruptive: false,
  async run(options) {
    const tally = new Tally();
    const admin = new Admin();
    const queue = admin.track(uniqueQueue("security"));
    const record = join(options.dir, "records.jsonl");
    const errors: string[] = [];
    const secrets = [...options.secrets];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    let checks = 0;
    try {
      // 1. A wrong password: exit 3, one line, password hidden.
      const wrong = `wrong-${randomBytes(8).toString("hex")}`;
      secrets.push(wrong);
      const refused = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        env: { RABBITMQ_URL: withPassword(options.rabbitUrl, wrong), CHAOS_QUEUE: queue },
        logFile: join(options.dir, "worker-wrong-password.log"),
      });
      const refusedExit = await refused.waitExit(20_000);
      tally.check(
        refusedExit?.code === 3,
        `wrong password: exit ${refusedExit ? describeExit(refusedExit) : "none"}, expected code 3`,
      );
      tally.check(
        /ACCESS_REFUSED|refused|authentication/i.test(refused.stderr) && refused.stderr.includes(":***@"),
        `wrong password: unclear error: ${refused.stderr.trim().slice(0, 200)}`,
      );
      tally.check(
        refused.stderr.trim().split("\n").length === 1,
        "wrong password: the error is not one line",
      );
      tally.note(`wrong password → exit 3: ${refused.stderr.trim().slice(0, 160)}`);
      checks++;

      // 2. amqps:// with TLS options: a clear connection error, no crash.
      const tlsCases = [
        { what: "amqps:// to a plain-AMQP port", url: "amqps://tls-user:tls-secret-1@127.0.0.1:5672" },
        { what: "amqps:// to a closed port", url: "amqps://tls-user:tls-secret-2@127.0.0.1:5671" },
      ];
      secrets.push("tls-secret-1", "tls-secret-2");
      for (const { what, url } of tlsCases) {
        const broker = new RabbitmqBroker({
          url,
          middleware: [],
          logger: fileLogger(join(options.dir, "tls.log")),
          socketOptions: {
            servername: "localhost",
            rejectUnauthorized: true,
            minVersion: "TLSv1.2",
            timeout: 5_000,
          },
        });
        const error = await broker.connect().then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        await broker.close().catch(() => {});
        const text = errorText(error);
        errors.push(text);
        tally.check(
          error instanceof ConnectionFailedError,
          `${what}: expected ConnectionFailedError, got ${text}`,
        );
        tally.check(
          /amqps:\/\/tls-user:\*\*\*@127\.0\.0\.1/.test(text) &&
            /TLS|SSL|EPROTO|ECONNREFUSED|socket|disconnected|wrong version/i.test(text),
          `${what}: the error names neither the URL nor the TLS/connection problem: ${text}`,
        );
        tally.note(`${what}: ${text.slice(0, 200)}`);
      }
      const cli = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        args: ["--broker-url", "amqps://tls-user:tls-secret-1@127.0.0.1:5672"],
        env: { CHAOS_QUEUE: queue },
        logFile: join(options.dir, "worker-amqps.log"),
      });
      const cliExit = await cli.waitExit(20_000);
      errors.push(cli.stderr);
      tally.check(
        cliExit?.code === 3 && cli.stderr.includes("amqps://tls-user:***@"),
        `CLI with an amqps:// URL to a plain port: exit ${cliExit ? describeExit(cliExit) : "none"}, stderr ${cli.stderr.trim().slice(0, 200)}`,
      );
      checks++;

      // 3. Only registered actors: prototype names and near misses are unknown actors.
      const worker = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        env: { RABBITMQ_URL: options.rabbitUrl, CHAOS_QUEUE: queue, CHAOS_RECORD: record },
        logFile: join(options.dir, "worker.log"),
      });
      await worker.waitReady();
      const names = [
        "__proto__",
        "constructor",
        "toString",
        "hasOwnProperty",
        "valueOf",
        "isPrototypeOf",
        "__defineGetter__",
        "__lookupGetter__",
        "prototype",
        "Object",
        "Function",
        "process",
        "chaos_work.DQ",
        "chaos_work ",
        "Chaos_work",
        "chaos_work\u200b",
        "",
      ];
      const bodies = names.map((actorName) => ({
        queue,
        body: new Message({ queueName: queue, actorName, args: [1] }).encode(),
      }));
      const good = new Message({ queueName: queue, actorName: "chaos_work", args: [7] });
      bodies.push({ queue, body: good.encode() });
      await admin.publishRaw(bodies);
      const xq = `${queue}.XQ`;
      await until(
        async () =>
          readRecords(record).some((line) => line.ev === "done") && (await admin.count(xq)) >= names.length,
        15_000,
        100,
      );
      // A name that breaks the actor-name rule ("", a space, ".DQ") is refused at decode; the others
      // are unknown actors. Either way: dead-lettered with a logged reason, never run.
      const unknown = worker.lines.filter(
        (line) =>
          line.msg === "message for an unknown actor dead-lettered" ||
          line.msg === "undecodable message dead-lettered",
      );
      const ran = readRecords(record).filter((line) => line.ev === "done");
      const deadLettered = await admin.count(xq);
      tally.check(
        deadLettered === names.length,
        `${deadLettered} of ${names.length} unknown-actor messages dead-lettered`,
      );
      tally.check(
        unknown.length === names.length,
        `${unknown.length} "unknown actor" or "undecodable" log lines for ${names.length}`,
      );
      tally.check(
        ran.length === 1 && ran[0]!.id === good.messageId,
        `${ran.length} run(s) recorded; expected only the registered actor's`,
      );
      tally.check(worker.running, "the worker exited");
      await stopWorker(tally, worker, { timeoutMs: 20_000 });
      tally.sent = bodies.length;
      tally.confirmed = bodies.length;
      tally.processed = ran.length;
      tally.deadLettered = deadLettered;
      tally.lost = ran.some((line) => line.id === good.messageId) ? 0 : 1;
      checks++;

      // 4. Message size bound on send.
      const small = new RabbitmqBroker({
        url: options.rabbitUrl,
        middleware: [],
        logger: fileLogger(join(options.dir, "size.log")),
        maxMessageBytes: 64 * 1024,
      });
      const sizeQueue = admin.track(uniqueQueue("size"));
      const upload = defineActor("chaos_upload", (_data: string) => {}, { queue: sizeQueue, broker: small });
      try {
        await upload.send("ok".repeat(1_000));
        const error = await upload.send("x".repeat(100 * 1024)).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        errors.push(errorText(error));
        tally.check(
          error instanceof MessageTooLargeError,
          `100 KiB over a 64 KiB limit: ${errorText(error)}`,
        );
        const text = error instanceof Error ? error.message : "";
        tally.check(
          /"chaos_upload"/.test(text) &&
            / is 1\d{5} bytes, /.test(text) &&
            text.includes("65536") &&
            !text.includes("\n"),
          `the size error does not name actor, size and limit on one line: ${text}`,
        );
        tally.check(
          (await admin.count(sizeQueue)) === 1,
          "the oversized message was published, or the small one was not",
        );
        tally.note(`size bound: ${text}`);
      } finally {
        await small.close();
      }
      const defaults = new RabbitmqBroker({
        url: options.rabbitUrl,
        middleware: [],
        logger: fileLogger(join(options.dir, "size.log")),
      });
      const bulk = defineActor("chaos_bulk", (_data: string) => {}, { queue: sizeQueue, broker: defaults });
      try {
        const error = await bulk.send("y".repeat(17 * 1024 * 1024)).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        tally.check(
          error instanceof MessageTooLargeError,
          `17 MiB with the default limit: ${errorText(error)}`,
        );
      } finally {
        await defaults.close();
      }
      checks++;

      tally.check(unhandled.length === 0, `unhandled rejection(s): ${unhandled.map(errorText).join("; ")}`);

      // 5. Last: no secret in any log or error message of the whole run.
      writeFileSync(join(options.dir, "errors.txt"), `${errors.join("\n")}\n`);
      const all = files(options.runDir);
      let bytes = 0;
      let redactedSeen = 0;
      const leaks: string[] = [];
      for (const file of all) {
        const text = readFileSync(file, "latin1");
        bytes += text.length;
        redactedSeen += text.split(":***@").length - 1;
        for (const secret of secrets) {
          for (const form of new Set([secret, encodeURIComponent(secret)])) {
            if (text.includes(form)) {
              leaks.push(`${file.slice(options.runDir.length + 1)} contains a secret (${form.slice(0, 4)}…)`);
            }
          }
        }
      }
      tally.check(leaks.length === 0, `${leaks.length} leak(s): ${leaks.slice(0, 5).join("; ")}`);
      tally.check(redactedSeen > 0, "no redacted URL (user:***@) in any log: are URLs logged at all?");
      tally.note(
        `grepped ${all.length} files (${(bytes / 1e6).toFixed(1)} MB) of this run for ${secrets.length} secrets: ${leaks.length} hits; ${redactedSeen} redacted URLs seen`,
      );
      tally.note(`${checks} check groups ran`);
    } catch (error) {
      tally.fail("scenario aborted", error);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await cleanUp(tally, admin);
    }
    return tally.result();
  },
};
