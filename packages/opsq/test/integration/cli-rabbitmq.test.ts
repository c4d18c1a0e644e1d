/**
 * `opsq worker` end to end on the live RabbitMQ: the test sends messages, the
 * spawned worker runs them (its actors leave marker files named after the
 * message id), and signals stop it gracefully, at once, or after the shutdown
 * timeout; `--processes` runs and restarts several worker processes.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Message } from "../../src/message.js";
import { xqName } from "../../src/queue-names.js";
import { CliProcess, FIXTURES, REPO_ROOT } from "../fixtures/cli/cli-process.js";
import { CliTestBed } from "../helpers/cli-bed.js";
import { RABBITMQ_URL, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const RABBIT_ACTORS = join(FIXTURES, "rabbit-actors.js");

describe.runIf(available)("opsq worker on RabbitMQ", () => {
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "cli");

  /** Starts `opsq worker` on the fixture actors, for this test's queue and marker directory. */
  function startWorker(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    return CliProcess.start(["worker", ...args], {
      env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue, OPSQ_TEST_MARKERS: bed.markers, ...env },
    });
  }

  async function send(actorName: string, ...args: unknown[]): Promise<string> {
    const message = await bed.producer.enqueue(new Message({ queueName: bed.queue, actorName, args }));
    return message.messageId;
  }

  function marker(
    messageId: string,
    stage: "started" | "done",
  ): { pid: number; value?: unknown } | undefined {
    const file = join(bed.markers, `${messageId}.${stage}`);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return undefined; // read while the fixture was still writing it: not there yet
    }
  }

  function waitMarker(messageId: string, stage: "started" | "done", timeoutMs = 15_000) {
    return waitFor(() => marker(messageId, stage) !== undefined, {
      timeoutMs,
      message: `${stage} marker of ${messageId}`,
    });
  }

  it("runs a sent message, with --broker-url setting RABBITMQ_URL for the module's global broker", async () => {
    // Given a worker whose module builds its broker from RABBITMQ_URL, given only as --broker-url
    const cli = startWorker([RABBIT_ACTORS, "--broker-url", RABBITMQ_URL], { RABBITMQ_URL: undefined });
    const [ready] = await cli.waitReady();
    expect(ready).toMatchObject({
      actors: ["cli_crash", "cli_record", "cli_slow"],
      queues: [bed.queue],
      concurrency: 8,
      pid: cli.child.pid,
    });
    expect(ready!.broker).toMatch(/^RabbitmqBroker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672/);

    // When the test sends it a message
    const id = await send("cli_record", 42);

    // Then the worker process runs it and acks it
    await waitMarker(id, "done");
    expect(marker(id, "done")).toEqual({ pid: cli.child.pid, value: 42 });
    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
    expect(await bed.admin.count(bed.queue)).toBe(0);
    expect(await bed.admin.count(xqName(bed.queue))).toBe(0);
  });

  it("connects through a live node when --broker-url is repeated with a dead one, redacting both", async () => {
    // Given a worker given a node nothing listens on and the live one, as two --broker-url flags
    const dead = new URL(RABBITMQ_URL);
    dead.host = "127.0.0.1:1";
    const cli = startWorker([RABBIT_ACTORS, "--broker-url", dead.toString(), "--broker-url", RABBITMQ_URL], {
      RABBITMQ_URL: undefined,
      RABBITMQ_URLS: undefined,
    });

    // Then, whichever node its shuffled order tries first, it becomes ready and runs a message
    const [ready] = await cli.waitReady();
    expect(ready!.broker).toMatch(
      /^RabbitmqBroker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1,amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672/,
    );
    const id = await send("cli_record", 7);
    await waitMarker(id, "done");
    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
  });

  it("finishes the message in flight on SIGTERM, acks it and exits 0", async () => {
    // Given a worker running a 1.5 s message
    const cli = startWorker([RABBIT_ACTORS]);
    await cli.waitReady();
    const id = await send("cli_slow", 1_500);
    await waitMarker(id, "started");

    // When it gets SIGTERM
    cli.signal("SIGTERM");

    // Then it finishes the message before exiting 0, and the message is gone from the queue
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
    expect(marker(id, "done")).toBeDefined();
    expect(await bed.admin.count(bed.queue)).toBe(0);
    expect(await bed.admin.count(xqName(bed.queue))).toBe(0);
  });

  it("exits 1 at once on a second signal; the message in flight goes back to the queue", async () => {
    // Given a worker stopping gracefully while a 30 s message runs
    const cli = startWorker([RABBIT_ACTORS]);
    await cli.waitReady();
    const id = await send("cli_slow", 30_000);
    await waitMarker(id, "started");
    cli.signal("SIGTERM");
    await cli.waitFor(() => cli.lines.some((line) => line.msg === "worker stopping"), "worker stopping");

    // When a second signal comes
    const signalledAt = Date.now();
    cli.signal("SIGINT");

    // Then it exits 1 at once, without finishing, and RabbitMQ hands the message back to the queue
    expect(await cli.waitExit(5_000)).toEqual({ code: 1, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(2_000);
    expect(marker(id, "done")).toBeUndefined();
    await waitFor(async () => (await bed.admin.count(bed.queue)) === 1, {
      message: "message back in the queue",
    });
  });

  it("hands the message in flight back after --shutdown-timeout and exits 0", async () => {
    const cli = startWorker([RABBIT_ACTORS, "--shutdown-timeout", "300"]);
    await cli.waitReady();
    const id = await send("cli_slow", 30_000);
    await waitMarker(id, "started");

    const signalledAt = Date.now();
    cli.signal("SIGTERM");

    expect(await cli.waitExit(5_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
    expect(cli.lines.some((line) => line.msg.startsWith("shutdown timeout reached"))).toBe(true);
    await waitFor(async () => (await bed.admin.count(bed.queue)) === 1, {
      message: "message back in the queue",
    });
    expect(await bed.admin.count(xqName(bed.queue))).toBe(0);
  });

  it("--processes 2: two worker processes consume the queue; SIGTERM stops them all with 0", async () => {
    // Given a supervisor of two worker processes
    const cli = startWorker([RABBIT_ACTORS, "--processes", "2", "--concurrency", "2"]);
    const ready = await cli.waitReady(2);
    const workerPids = new Set(ready.map((line) => line.pid));
    expect(workerPids.size).toBe(2);

    // When 20 messages are sent
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => send("cli_record", i)));

    // Then all are run, by both processes
    await waitFor(() => ids.every((id) => marker(id, "done") !== undefined), {
      message: "all 20 messages done",
    });
    const ranBy = new Set(ids.map((id) => marker(id, "done")!.pid));
    expect(ranBy).toEqual(workerPids);

    // And SIGTERM stops everything cleanly
    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
    expect(await bed.admin.count(bed.queue)).toBe(0);
  });

  it("--processes 2: restarts a worker process that dies, and its message is run again", async () => {
    const cli = startWorker([RABBIT_ACTORS, "--processes", "2"]);
    const ready = await cli.waitReady(2);
    const firstPids = ready.map((line) => line.pid);

    // When a message kills the process running it (SIGKILL)
    const id = await send("cli_crash");
    await waitMarker(id, "started");
    const killedPid = marker(id, "started")!.pid;

    // Then the supervisor starts a new process, and the redelivered message is run
    const after = await cli.waitReady(3);
    expect(firstPids).not.toContain(after[2]!.pid);
    expect(cli.lines.some((line) => line.msg === "worker process died; restarting it")).toBe(true);
    await waitMarker(id, "done");
    expect(marker(id, "done")!.pid).not.toBe(killedPid);

    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
  });

  it("uses the broker a module exports", async () => {
    const cli = startWorker([join(FIXTURES, "rabbit-broker.mjs")]);
    const [ready] = await cli.waitReady();
    expect(ready).toMatchObject({ actors: ["cli_mjs_record"], queues: [bed.queue] });

    const id = await send("cli_mjs_record", "hello");

    await waitMarker(id, "done");
    expect(marker(id, "done")).toEqual({ pid: cli.child.pid, value: "hello" });
    cli.signal("SIGTERM");
    expect((await cli.waitExit()).code).toBe(0);
  });

  const example = join(REPO_ROOT, "node_modules", "opsq-example-basic");
  it.runIf(existsSync(example))("loads the examples/basic workspace package by its specifier", async () => {
    const cli = CliProcess.start(["worker", "opsq-example-basic/actors"], { env: { RABBITMQ_URL } });

    const [ready] = await cli.waitReady();
    for (const exampleQueue of ready!.queues as string[]) {
      bed.admin.track(exampleQueue);
    }

    expect(ready).toMatchObject({ queues: ["example-math", "example-io"] });
    expect(ready!.actors).toEqual(["add", "flaky_fetch", "multiply", "report"]);
    cli.signal("SIGTERM");
    expect((await cli.waitExit()).code).toBe(0);
  });
});
