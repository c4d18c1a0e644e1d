/**
 * Schedules across worker processes, on the live RabbitMQ: two `opsq worker` processes run one
 * schedule ticking every second; each tick is enqueued once, also when the leader is killed
 * (SIGKILL) in the middle; ticks missed while no worker ran are caught up once. The workers do
 * not consume the schedule's queue, so the test counts every message that was enqueued.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Message } from "../../../src/message.js";
import { lastQueueName, leaderQueueName } from "../../../src/schedules/schedule-state.js";
import { CliProcess, FIXTURES } from "../../fixtures/cli/cli-process.js";
import { CliTestBed } from "../../helpers/cli-bed.js";
import { RABBITMQ_URL, requireRabbitmq, waitFor } from "../../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const SCHEDULE_ACTORS = join(FIXTURES, "schedule-actors.js");

/** One enqueued tick: its time, its message id and how late it was enqueued. */
interface Tick {
  tickMs: number;
  messageId: string;
  latenessMs: number;
}

describe.runIf(available)("opsq worker: a schedule across worker processes", () => {
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "sched");
  let schedule: string;
  beforeEach(() => {
    schedule = `${bed.queue}-every-second`;
    bed.admin.track(`${bed.queue}-idle`);
  });
  afterEach(async () => {
    await bed.admin.withChannel(async (channel) => {
      await channel.deleteQueue(leaderQueueName(schedule));
      await channel.deleteQueue(lastQueueName(schedule));
    });
  });

  function startWorker(): CliProcess {
    return CliProcess.start(["worker", SCHEDULE_ACTORS, "--queues", `${bed.queue}-idle`], {
      env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue, OPSQ_TEST_SCHEDULE: schedule },
    });
  }

  async function enqueuedTicks(): Promise<Tick[]> {
    const messages = await bed.admin.takeAll(bed.queue);
    return messages
      .map(({ content }) => Message.decode(content))
      .map((message) => {
        const tickMs = Date.parse(String(message.options.schedule_tick));
        return { tickMs, messageId: message.messageId, latenessMs: message.messageTimestamp - tickMs };
      })
      .sort((a, b) => a.tickMs - b.tickMs);
  }

  function leaderOf(workers: CliProcess[]): CliProcess | undefined {
    return workers.find((worker) => worker.lines.some((line) => line.msg === "schedule leader elected"));
  }

  // Every tick from the first to the last once, one second apart, and ids unique.
  function expectOncePerTick(ticks: Tick[]): void {
    expect(ticks.length).toBeGreaterThan(0);
    const times = ticks.map(({ tickMs }) => tickMs);
    expect(new Set(times).size).toBe(times.length);
    expect(new Set(ticks.map(({ messageId }) => messageId)).size).toBe(ticks.length);
    for (let i = 1; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBe(1_000);
    }
  }

  // The ticks span the run: from its start to its end, give or take a second at each edge.
  function expectSpan(ticks: Tick[], startMs: number, stopMs: number): void {
    expect(ticks[0]!.tickMs).toBeLessThanOrEqual(startMs + 2_000);
    expect(ticks.at(-1)!.tickMs).toBeGreaterThanOrEqual(stopMs - 2_000);
    const seconds = Math.round((stopMs - startMs) / 1_000);
    expect(ticks.length).toBeGreaterThanOrEqual(seconds - 2);
    expect(ticks.length).toBeLessThanOrEqual(seconds + 1);
  }

  it("enqueues each tick once over 10 s", async () => {
    // Given two workers running the same schedule
    const workers = [startWorker(), startWorker()];
    await Promise.all(workers.map((worker) => worker.waitReady()));

    // When they run for 10 s
    const startMs = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const stopMs = Date.now();
    for (const worker of workers) {
      worker.signal("SIGTERM");
    }
    await Promise.all(workers.map((worker) => worker.waitExit()));

    // Then 10 ticks (± the edges) were enqueued, each once, by one leader
    const ticks = await enqueuedTicks();
    expectOncePerTick(ticks);
    expectSpan(ticks, startMs, stopMs);
    expect(ticks.length).toBeGreaterThanOrEqual(9);
    expect(ticks.length).toBeLessThanOrEqual(11);
    expect(
      workers.filter((worker) => worker.lines.some((l) => l.msg === "schedule leader elected")),
    ).toHaveLength(1);

    // And `opsq schedules` shows the last tick enqueued and the next 3 runs
    const listed = await CliProcess.run(["schedules", SCHEDULE_ACTORS, "--json"], {
      env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue, OPSQ_TEST_SCHEDULE: schedule },
    });
    expect(listed.code, listed.stderr).toBe(0);
    const [listing] = JSON.parse(listed.stdout) as { name: string; lastTick: string; nextRuns: string[] }[];
    expect(listing).toMatchObject({
      name: schedule,
      cron: "* * * * * *",
      actor: "sched_tick",
      missed: "catch up 5",
    });
    expect(Date.parse(listing!.lastTick)).toBe(ticks.at(-1)!.tickMs);
    expect(listing!.nextRuns).toHaveLength(3);
  });

  it("keeps one message per tick when the leader is killed mid-way", async () => {
    // Given two workers, one of them leading the schedule
    const workers = [startWorker(), startWorker()];
    await Promise.all(workers.map((worker) => worker.waitReady()));
    const startMs = Date.now();
    await waitFor(() => leaderOf(workers) !== undefined, { timeoutMs: 5_000, message: "a leader" });
    const leader = leaderOf(workers);
    expect(leader).toBeDefined();
    const follower = workers.find((worker) => worker !== leader)!;

    // When the leader is killed after 5 s, and the other runs 5 s more
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const killedAtMs = Date.now();
    leader!.signal("SIGKILL");
    await leader!.waitExit();
    await follower.waitFor(
      () => follower.lines.some((line) => line.msg === "schedule leader elected"),
      "the follower's election",
      5_000,
    );
    const electedAfterMs = Date.now() - killedAtMs;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const stopMs = Date.now();
    follower.signal("SIGTERM");
    await follower.waitExit();

    // Then every tick from the first to the last was enqueued once
    const ticks = await enqueuedTicks();
    expectOncePerTick(ticks);
    expectSpan(ticks, startMs, stopMs);
    const worst = Math.max(...ticks.map(({ latenessMs }) => latenessMs));
    console.info(
      `schedule failover: follower elected ${electedAfterMs} ms after the SIGKILL; latest tick enqueued ${worst} ms after its time; ${ticks.length} ticks over ${stopMs - startMs} ms (kill at +${killedAtMs - startMs} ms)`,
    );
  });

  it("catches up the ticks missed while no worker ran, each once", async () => {
    // Given a worker that ran the schedule for 2 s, then stopped
    const first = startWorker();
    await first.waitReady();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    first.signal("SIGTERM");
    await first.waitExit();
    const stoppedAtMs = Date.now();

    // When no worker runs for 3 s, then one starts again
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const second = startWorker();
    await second.waitReady();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    second.signal("SIGTERM");
    await second.waitExit();

    // Then the missed ticks were enqueued by the second (catchUp: 5 covers 3 s), and none twice
    const ticks = await enqueuedTicks();
    expectOncePerTick(ticks);
    const missed = ticks.filter(({ tickMs, latenessMs }) => tickMs > stoppedAtMs && latenessMs > 1_000);
    expect(missed.length).toBeGreaterThanOrEqual(2);
  });
});
