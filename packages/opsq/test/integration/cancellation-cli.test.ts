/**
 * `opsq cancel` and `opsq worker --cancel-url` as subprocesses, on the live RabbitMQ and
 * PostgreSQL: a cancelled queued message is never run, a running one is aborted and acked.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostgresCancellationBackend } from "../../src/cancellation/postgres.js";
import { Message } from "../../src/message.js";
import { xqName } from "../../src/queue-names.js";
import { CliProcess, FIXTURES } from "../fixtures/cli/cli-process.js";
import { CliTestBed } from "../helpers/cli-bed.js";
import { requirePostgres, TEST_DATABASE_URL, uniqueTableName } from "../helpers/postgres.js";
import { RABBITMQ_URL, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = (await requirePostgres()) && (await requireRabbitmq());
const RABBIT_ACTORS = join(FIXTURES, "rabbit-actors.js");

describe.runIf(available)("opsq cancel", () => {
  let table: string;
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "cancel-cli");

  beforeEach(() => {
    table = uniqueTableName("opsq_cancel_cli");
  });

  afterEach(async () => {
    const backend = new PostgresCancellationBackend({ url: TEST_DATABASE_URL, table });
    await backend.dropTable();
    await backend.close();
  });

  function cancelCli(ids: string[], env: NodeJS.ProcessEnv = {}) {
    return CliProcess.run(["cancel", ...ids, "--cancel-table", table], {
      env: { OPSQ_CANCEL_URL: TEST_DATABASE_URL, ...env },
    });
  }

  it("cancels a queued message before the worker starts, and a running one while it runs", async () => {
    // Given a message cancelled with `opsq cancel` (the URL from OPSQ_CANCEL_URL) before any worker runs
    const victim = new Message({ queueName: bed.queue, actorName: "cli_record", args: ["victim"] });
    const cancelled = await cancelCli([victim.messageId]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `cancelled ${victim.messageId}\n`, stderr: "" });
    await bed.producer.enqueue(victim);

    // When a worker with --cancel-url starts, and runs another message and a slow one
    const worker = CliProcess.start(
      ["worker", RABBIT_ACTORS, "--cancel-url", TEST_DATABASE_URL, "--cancel-table", table],
      {
        env: {
          RABBITMQ_URL,
          OPSQ_TEST_QUEUE: bed.queue,
          OPSQ_TEST_MARKERS: bed.markers,
          OPSQ_CANCEL_URL: undefined,
        },
      },
    );
    await worker.waitReady();
    expect(worker.lines).toContainEqual(expect.objectContaining({ msg: "cancellation enabled", table }));
    const kept = await bed.producer.enqueue(
      new Message({ queueName: bed.queue, actorName: "cli_record", args: ["kept"] }),
    );
    const slow = await bed.producer.enqueue(
      new Message({ queueName: bed.queue, actorName: "cli_slow", args: [60_000] }),
    );
    await waitFor(() => existsSync(join(bed.markers, `${kept.messageId}.done`)), {
      message: "the kept message",
    });
    await waitFor(() => existsSync(join(bed.markers, `${slow.messageId}.started`)), {
      message: "the slow start",
    });

    // …and the slow one is cancelled with `opsq cancel --cancel-url`
    const running = await CliProcess.run(
      ["cancel", slow.messageId, "unknown-id", "--cancel-url", TEST_DATABASE_URL, "--cancel-table", table],
      { env: { OPSQ_CANCEL_URL: undefined } },
    );
    expect(running).toMatchObject({ code: 0, stdout: `cancelled ${slow.messageId}\ncancelled unknown-id\n` });

    // Then I expect the victim skipped, the slow one aborted, both acked, nothing dead-lettered
    await worker.waitFor(
      () =>
        worker.lines.some(
          (line) =>
            line.msg === "message cancelled while running; acked, not retried" &&
            line.message_id === slow.messageId,
        ),
      "the running message aborted",
    );
    expect(worker.lines).toContainEqual(
      expect.objectContaining({
        msg: "message cancelled; acked without running it",
        message_id: victim.messageId,
      }),
    );
    expect(existsSync(join(bed.markers, `${victim.messageId}.done`))).toBe(false);
    await waitFor(async () => (await bed.admin.count(bed.queue)) === 0, { message: "an empty queue" });
    expect(await bed.admin.count(xqName(bed.queue))).toBe(0);
    worker.signal("SIGTERM");
    expect(await worker.waitExit()).toEqual({ code: 0, signal: null });
  });

  it("says what is missing, or what failed, in one line without the password", async () => {
    const missing = await CliProcess.run(["cancel", "some-id"], { env: { OPSQ_CANCEL_URL: undefined } });
    expect(missing).toMatchObject({
      code: 2,
      stderr: "opsq: no cancellation store: give --cancel-url <postgres url> or set OPSQ_CANCEL_URL\n",
    });

    const unreachable = await CliProcess.run(
      ["cancel", "some-id", "--cancel-url", "postgres://app:hunter2@127.0.0.1:1/app"],
      { env: { OPSQ_CANCEL_URL: undefined } },
    );
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(
      /^opsq: cannot use the cancellation store at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/app: .*ECONNREFUSED.*\n$/,
    );
    expect(unreachable.stderr).not.toContain("hunter2");

    const badUrl = await CliProcess.run(["cancel", "some-id", "--cancel-url", "amqp://x@y"], {
      env: { OPSQ_CANCEL_URL: undefined },
    });
    expect(badUrl).toMatchObject({
      code: 2,
      stderr: 'opsq: the cancellation store must be a postgres:// URL, got "amqp://x@y"\n',
    });

    const worker = await CliProcess.run(
      ["worker", RABBIT_ACTORS, "--cancel-url", "postgres://app:hunter2@127.0.0.1:1/app"],
      { env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue, OPSQ_TEST_MARKERS: bed.markers } },
    );
    expect(worker.code).toBe(3);
    expect(worker.stderr).toContain(
      "opsq: cannot use the cancellation store at postgres://app:***@127.0.0.1:1/app",
    );
    expect(worker.stdout + worker.stderr).not.toContain("hunter2");
  });

  it("exits 3 in one line when a module's own Cancellation middleware cannot reach its store", async () => {
    // Given a module whose broker has a Cancellation middleware on an unreachable PostgreSQL
    const worker = await CliProcess.run(["worker", join(FIXTURES, "cancellable-actors.mjs")], {
      env: {
        RABBITMQ_URL,
        OPSQ_TEST_QUEUE: bed.queue,
        OPSQ_TEST_CANCEL_URL: "postgres://app:hunter2@127.0.0.1:1/app",
      },
    });

    // Then I expect exit 3 and one line saying what could not be reached, without the password
    expect(worker.code).toBe(3);
    expect(worker.stderr).toMatch(
      /^opsq: cannot start the worker: cannot read cancelled messages from the cancellation backend: .*ECONNREFUSED.*\n$/,
    );
    expect(worker.stdout + worker.stderr).not.toContain("hunter2");
  });
});
