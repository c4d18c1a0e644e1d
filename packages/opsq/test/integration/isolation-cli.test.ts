/**
 * Isolated actors through `opsq worker` on the live RabbitMQ: a handler stuck in a CPU loop is
 * killed at its time limit and its message dead-lettered with a TimeLimitExceeded reason, while
 * the worker keeps serving other messages; its runner is replaced; a TypeScript module works too;
 * and a stopped worker leaves no runner process behind.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Message } from "../../src/message.js";
import { xqName } from "../../src/queue-names.js";
import { CliProcess, OPSQ_DIR } from "../fixtures/cli/cli-process.js";
import { CliTestBed } from "../helpers/cli-bed.js";
import { RABBITMQ_URL, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const FIXTURES = join(OPSQ_DIR, "test/fixtures/isolation");

interface Marker {
  pid: number;
  threadId: number;
  value?: unknown;
}

describe.runIf(available).each(["thread", "process"] as const)(
  "opsq worker with actors isolated in a %s",
  (mode) => {
    const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "isolation");

    function startWorker(module: string): CliProcess {
      return CliProcess.start(["worker", join(FIXTURES, module), "--concurrency", "2"], {
        env: {
          RABBITMQ_URL,
          OPSQ_TEST_QUEUE: bed.queue,
          OPSQ_TEST_MARKERS: bed.markers,
          OPSQ_TEST_ISOLATION: mode,
        },
      });
    }

    async function send(actorName: string, ...args: unknown[]): Promise<string> {
      return (await bed.producer.enqueue(new Message({ queueName: bed.queue, actorName, args }))).messageId;
    }

    function marker(messageId: string, stage: "started" | "done"): Marker | undefined {
      const file = join(bed.markers, `${messageId}.${stage}`);
      return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Marker) : undefined;
    }

    async function waitMarker(messageId: string, stage: "started" | "done"): Promise<Marker> {
      await waitFor(() => marker(messageId, stage) !== undefined, {
        timeoutMs: 20_000,
        message: `${stage} marker of ${messageId}`,
      });
      return marker(messageId, stage)!;
    }

    function isAlive(pid: number): boolean {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    }

    it("kills a stuck handler at its time limit, dead-letters it with TimeLimitExceeded, and keeps serving", async () => {
      // Given a worker whose isolated runner ran a message
      const cli = startWorker("rabbit-actors.mjs");
      await cli.waitReady();
      const firstId = await send("iso_cli_record", 1);
      const first = await waitMarker(firstId, "done");
      if (mode === "thread") {
        expect(first.pid).toBe(cli.child.pid);
        expect(first.threadId).not.toBe(0);
      } else {
        expect(first.pid).not.toBe(cli.child.pid);
      }

      // When a handler with a 2 s limit gets stuck in a CPU loop, and a plain message is sent meanwhile
      const stuckId = await send("iso_cli_stuck");
      await waitMarker(stuckId, "started");
      const plainId = await send("iso_cli_plain", "meanwhile");

      // Then I expect the plain message served by the worker while the handler spins,
      expect((await waitMarker(plainId, "done")).pid).toBe(cli.child.pid);
      // the stuck message dead-lettered, with TimeLimitExceeded as the reason the worker gives,
      await waitFor(async () => (await bed.admin.count(xqName(bed.queue))) === 1, {
        timeoutMs: 20_000,
        message: "the stuck message in the dead-letter queue",
      });
      const [dead] = await bed.admin.takeAll(xqName(bed.queue));
      expect(JSON.parse(dead!.content.toString()).message_id).toBe(stuckId);
      // (the worker nacks before it logs, and its stdout may reach this process after the count)
      const isDeadLetterLine = (line: (typeof cli.lines)[number]) =>
        line.msg === "message failed; dead-lettered" && line.message_id === stuckId;
      await waitFor(() => cli.lines.some(isDeadLetterLine), { message: "the dead-letter log line" });
      const failed = cli.lines.find(isDeadLetterLine);
      expect(failed?.err).toMatchObject({
        type: "TimeLimitExceeded",
        message: "time limit of 2000 ms exceeded",
      });
      expect(cli.lines.some((line) => line.msg === "attempt aborted; isolated runner killed")).toBe(true);

      // …and a new runner serving the next isolated message
      const nextId = await send("iso_cli_record", 2);
      const next = await waitMarker(nextId, "done");
      expect(mode === "thread" ? next.threadId : next.pid).not.toBe(
        mode === "thread" ? first.threadId : first.pid,
      );

      // When the worker stops, Then it exits 0 and no runner process is left
      cli.signal("SIGTERM");
      expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
      if (mode === "process") {
        expect(isAlive(first.pid)).toBe(false);
        expect(isAlive(next.pid)).toBe(false);
      }
      expect(await bed.admin.count(bed.queue)).toBe(0);
    });

    it("runs an isolated actor of a TypeScript module", async () => {
      // Given a worker on a .ts module
      const cli = startWorker("rabbit-actors.ts");
      await cli.waitReady();

      // When its isolated actor runs
      const id = await send("iso_cli_ts_record", 7);

      // Then I expect it ran in a runner (which loaded the module through tsx)
      const done = await waitMarker(id, "done");
      expect(done.value).toBe(7);
      if (mode === "thread") {
        expect(done.threadId).not.toBe(0);
      } else {
        expect(done.pid).not.toBe(cli.child.pid);
      }
      cli.signal("SIGTERM");
      expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
    });
  },
);
