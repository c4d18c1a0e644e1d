/**
 * `opsq queues` and `opsq dead-letters`, spawned as the built bin, on the live
 * RabbitMQ: counts after publishing, delaying and dead-lettering; the listing of
 * dead letters with their reason; `--requeue` moving them back for a worker to
 * process; and the exit codes of a missing queue and an unreachable broker.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import type { DeadLetter, QueueInspection } from "../../src/brokers/rabbitmq.js";
import { CliProcess, ensureBuilt, FIXTURES, killLeftovers } from "../fixtures/cli/cli-process.js";
import { RABBITMQ_URL, RabbitTestBed, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

function opsq(args: string[], env: NodeJS.ProcessEnv = {}) {
  return CliProcess.run(args, { env: { RABBITMQ_URL, ...env } });
}

describe.runIf(available)("opsq queues and opsq dead-letters", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { worker: { shutdownTimeoutMs: 2_000 } },
  );

  beforeAll(() => ensureBuilt());

  afterEach(() => killLeftovers());

  it("counts ready, delayed and dead-lettered messages; lists dead letters with their reason; --requeue moves them back for a worker", async () => {
    // Given an actor that fails (once retried, then dead-lettered) while `failing` is set
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("inspect");
    let failing = true;
    const processed: string[] = [];
    const flaky = defineActor(
      "inspect_flaky",
      (name: string, _extra?: Record<string, unknown>) => {
        if (failing) {
          throw new Error(`cannot process ${name}: upstream said no`);
        }
        processed.push(name);
      },
      { queue, broker, maxRetries: 1 },
    );
    const worker = await rabbit.startWorker(broker);
    const dead = [await flaky.send("alpha"), await flaky.send("beta", { note: "x" })];
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 2, {
      message: "two dead letters",
    });
    await worker.stop();
    // And, with no worker running, one ready message and one delayed by a minute
    const ready = await flaky.send("gamma");
    await flaky.sendWithOptions({ args: ["delta"], delayMs: 60_000 });

    // When inspecting the queue (by any of its names)
    const queues = await opsq(["queues", `${queue}.XQ`, "--json"]);
    expect(queues.code, queues.stderr).toBe(0);
    const [row] = JSON.parse(queues.stdout) as QueueInspection[];

    // Then the counts are RabbitMQ's
    expect(row).toEqual({
      queue,
      exists: true,
      ready: 1,
      delayed: 1,
      deadLettered: 2,
      consumers: 0,
      delayConsumers: 0,
    });

    // And the table prints the same, with a missing queue marked
    const table = await opsq(["queues", queue, "no-such-queue-opsq"]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^QUEUE\s+READY\s+DELAYED\s+DEAD-LETTERED\s+CONSUMERS\s+DQ-CONSUMERS$/);
    const ours = lines.find((line) => line.startsWith(queue))!;
    expect(ours.split(/\s+/)).toEqual([queue, "1", "1", "2", "0", "0"]);
    expect(table.stdout).toContain("not declared on RabbitMQ: no-such-queue-opsq");

    // When listing the dead letters
    const listing = await opsq(["dead-letters", queue]);
    expect(listing.code, listing.stderr).toBe(0);

    // Then each shows its id, actor, arguments, x-death reason and error; and they stay in q.XQ
    for (const message of dead) {
      expect(listing.stdout).toContain(message.messageId);
    }
    expect(listing.stdout).toContain('inspect_flaky("alpha")');
    expect(listing.stdout).toContain('inspect_flaky("beta", {"note":"x"})');
    expect(listing.stdout).toContain(`died: rejected in ${queue} ×1 at `);
    // (the error on the message is the first attempt's: labelled so, the last one's is in the worker's log)
    expect(listing.stdout).toContain(
      "error of attempt 1 of 2 (the last attempt's error is in the worker's log): Error: cannot process alpha: upstream said no",
    );
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(2);

    // And --json gives the decoded messages, --limit caps them
    const json = await opsq(["dead-letters", queue, "--json", "--limit", "1"]);
    expect(json.code, json.stderr).toBe(0);
    const letters = JSON.parse(json.stdout) as DeadLetter[];
    expect(letters).toHaveLength(1);
    // The oldest dead letter comes first; which of the two failed first is up to the worker.
    const first = dead.find((message) => message.messageId === letters[0]!.messageId);
    expect(first, "the listed message is one of those dead-lettered").toBeDefined();
    const word = first!.args[0] as string;
    expect(letters[0]).toMatchObject({
      actor: "inspect_flaky",
      args: first!.args,
      error: `Error: cannot process ${word}: upstream said no`,
      errorAttempt: 1,
      attempts: 2,
      deaths: [{ reason: "rejected", queue, count: 1 }],
    });
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(2);

    // When requeueing them
    const requeue = await opsq(["dead-letters", queue, "--requeue"]);
    expect(requeue.code, requeue.stderr).toBe(0);
    expect(requeue.stdout.trim()).toBe(`moved 2 dead-lettered message(s) from ${queue}.XQ back to ${queue}`);

    // Then they are back in q, next to the ready one
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(0);
    expect(await rabbit.admin.count(queue)).toBe(3);

    // And a worker, the cause fixed, processes them
    failing = false;
    await rabbit.startWorker(broker);
    await waitFor(() => processed.length === 3, { message: "the requeued and ready messages ran" });
    expect(processed.sort()).toEqual(["alpha", "beta", "gamma"]);
    expect(ready.messageId).toBeDefined();
  });

  it("says the error is not recorded on a message that died on its first attempt, instead of showing none", async () => {
    // Given an actor without retries that fails, dead-lettering its message at the first attempt
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("inspect-first");
    const once = defineActor(
      "inspect_once",
      () => {
        throw new Error("no second chance");
      },
      { queue, broker, maxRetries: 0 },
    );
    const worker = await rabbit.startWorker(broker);
    const sent = await once.send();
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, {
      message: "one dead letter",
    });
    await worker.stop();

    // When listing the dead letters
    const listing = await opsq(["dead-letters", queue]);
    expect(listing.code, listing.stderr).toBe(0);

    // Then its entry says where the reason is, rather than showing no error at all
    expect(listing.stdout).toContain(sent.messageId);
    expect(listing.stdout).toContain(
      "error: not recorded on the message (it died on attempt 1; the log of the worker that dead-lettered it has why)",
    );
  });

  it("lists a deeply nested dead letter beside a good one, as text and as --json", async () => {
    // Given, in q.XQ, a dead letter whose args nest 100,000 levels deep, then an ordinary one
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("deep");
    await broker.declareQueueOnServer(queue);
    const message = (id: string, args: string) =>
      `{"queue_name":"${queue}","actor_name":"deep_actor","args":${args},"kwargs":{},"options":{},"message_id":"${id}","message_timestamp":0}`;
    await rabbit.admin.publishRaw(
      `${queue}.XQ`,
      message("deep-1", `[${"[".repeat(100_000)}${"]".repeat(100_000)}]`),
    );
    await rabbit.admin.publishRaw(`${queue}.XQ`, message("good-1", "[1]"));

    // When listing them, then both are listed, in text and in JSON
    const listing = await opsq(["dead-letters", queue]);
    expect(listing.code, listing.stderr).toBe(0);
    expect(listing.stdout).toContain(`deep-1  deep_actor([[[[[[["[…]"]]]]]]`);
    expect(listing.stdout).toContain("good-1  deep_actor(1)");
    const json = await opsq(["dead-letters", queue, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const letters = JSON.parse(json.stdout) as DeadLetter[];
    expect(letters.map((letter) => letter.messageId)).toEqual(["deep-1", "good-1"]);
  });

  it("--module lists the queues of the modules' actors", async () => {
    const queue = rabbit.admin.queue("inspect-mod");
    const result = await opsq(["queues", "--module", join(FIXTURES, "rabbit-actors.js"), "--json"], {
      OPSQ_TEST_QUEUE: queue,
    });
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as QueueInspection[];
    expect(rows.map((row) => row.queue)).toEqual([queue]);
    expect(rows[0]!.exists).toBe(false);
  });

  it("exits 2 when the dead-letter queue does not exist, 2 with nothing to inspect, 3 when RabbitMQ is unreachable", async () => {
    const missing = await opsq(["dead-letters", "no-such-queue-opsq"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('opsq: queue "no-such-queue-opsq.XQ" does not exist on RabbitMQ');

    const nothing = await opsq(["queues"]);
    expect(nothing.code).toBe(2);

    const unreachable = await opsq(["queues", "anything", "--broker-url", "amqp://guest:s3cret@127.0.0.1:1"]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain("cannot connect to RabbitMQ");
    expect(unreachable.stderr).not.toContain("s3cret");
  });
});
