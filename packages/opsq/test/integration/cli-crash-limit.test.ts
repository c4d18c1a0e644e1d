/**
 * Crash loops bounded per message, end to end: `opsq worker` on the live RabbitMQ runs a
 * handler that calls `process.exit(0)`. The process says so and exits 4; under
 * `--processes 2` the supervisor restarts it, the message is dead-lettered once it has
 * killed its worker `--max-crashes` times, and every good message still runs.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Message } from "../../src/message.js";
import { xqName } from "../../src/queue-names.js";
import { CliProcess, FIXTURES } from "../fixtures/cli/cli-process.js";
import { CliTestBed } from "../helpers/cli-bed.js";
import { RABBITMQ_URL, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const POISON_ACTORS = join(FIXTURES, "poison-actors.js");

describe.runIf(available)("opsq worker: a message that kills its worker", () => {
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "crash");
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), "opsq-crash-state-"));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  function startWorker(args: string[]): CliProcess {
    return CliProcess.start(["worker", POISON_ACTORS, "--state-dir", stateDir, ...args], {
      env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue, OPSQ_TEST_MARKERS: bed.markers },
    });
  }

  async function send(actorName: string): Promise<string> {
    const message = await bed.producer.enqueue(new Message({ queueName: bed.queue, actorName, args: [] }));
    return message.messageId;
  }

  it("one process: exiting from inside a handler is logged, naming the message, and exits 4", async () => {
    // Given a worker, and a message whose handler calls process.exit(0)
    const cli = startWorker([]);
    await cli.waitReady();
    const poison = await send("poison_exit");

    // Then the process exits 4, with an error line naming the actor and the message
    expect(await cli.waitExit()).toEqual({ code: 4, signal: null });
    const line = cli.lines.find(
      (each) =>
        each.msg === "worker process exiting from inside a handler; its message is counted as a crash",
    );
    expect(line).toMatchObject({ level: 50, messages: [{ message_id: poison, actor: "poison_exit" }] });

    // And, restarted by hand twice more, the third death is the last: the next start dead-letters it
    for (let death = 2; death <= 3; death++) {
      // (It may take the message before it logs "worker ready".)
      const again = startWorker([]);
      expect((await again.waitExit()).code).toBe(4);
    }
    const last = startWorker([]);
    await last.waitReady();
    await waitFor(async () => (await bed.admin.count(xqName(bed.queue))) === 1, {
      timeoutMs: 20_000,
      message: "the poison message dead-lettered",
    });
    expect(
      last.lines.some((each) => each.msg === "message keeps killing its worker; dead-lettering it"),
    ).toBe(true);
    last.signal("SIGTERM");
    expect(await last.waitExit()).toEqual({ code: 0, signal: null });
  });

  it("--processes 2: two poison messages end in .XQ with their reason, and all 20 good messages run", async () => {
    // Given a supervisor of two processes, and two poison messages among 20 good ones (6 deaths in
    // all: more than the supervisor's 5 restarts in a row)
    const cli = startWorker(["--processes", "2", "--concurrency", "2"]);
    await cli.waitReady(2);
    const good: string[] = [];
    const poison: string[] = [];
    for (let i = 0; i < 20; i++) {
      good.push(await send("poison_good"));
      if (i % 10 === 0) {
        poison.push(await send("poison_exit"));
      }
    }

    // Then every good message runs, and the poison ones are dead-lettered with the crash limit as reason
    await waitFor(() => good.every((id) => existsSync(join(bed.markers, `${id}.done`))), {
      timeoutMs: 60_000,
      message: "all 20 good messages run",
    });
    await waitFor(async () => (await bed.admin.count(xqName(bed.queue))) === 2, {
      timeoutMs: 60_000,
      message: "both poison messages dead-lettered",
    });
    const dead = await bed.admin.takeAll(xqName(bed.queue));
    const deadIds = dead.map((each) => JSON.parse(each.content.toString()).message_id as string);
    expect(deadIds.sort()).toEqual([...poison].sort());
    const reasons = cli.lines.filter(
      (each) => each.msg === "message keeps killing its worker; dead-lettering it",
    );
    expect(reasons.map((each) => each.message_id).sort()).toEqual([...poison].sort());
    expect(reasons.every((each) => each.deaths === 3 && each.maxCrashes === 3)).toBe(true);
    expect(cli.lines.some((each) => each.msg === "worker process keeps dying; stopping")).toBe(false);

    // And the supervisor kept going, and stops cleanly
    cli.signal("SIGTERM");
    expect(await cli.waitExit(30_000)).toEqual({ code: 0, signal: null });
  });
});
