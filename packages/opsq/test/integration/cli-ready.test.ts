/**
 * `worker ready` comes before the first message runs, even when messages wait in the queue as
 * the worker starts (they arrive as soon as it consumes).
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Message } from "../../src/message.js";
import { CliProcess, FIXTURES } from "../fixtures/cli/cli-process.js";
import { CliTestBed } from "../helpers/cli-bed.js";
import { RABBITMQ_URL, requireRabbitmq } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("opsq worker: the ready line", () => {
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "cli-ready");

  it("is logged before any waiting message runs", async () => {
    // Given messages already waiting in the queue
    for (let value = 0; value < 5; value++) {
      await bed.producer.enqueue(new Message({ queueName: bed.queue, actorName: "cli_log", args: [value] }));
    }

    // When a worker starts on it
    const cli = CliProcess.start(["worker", join(FIXTURES, "logging-actors.js")], {
      env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue },
    });
    await cli.waitFor(
      () => cli.lines.filter((line) => line.msg === "actor ran").length === 5,
      "5 messages run",
    );
    cli.signal("SIGTERM");
    expect((await cli.waitExit()).code).toBe(0);

    // Then "worker ready" comes first
    const messages = cli.lines.map((line) => line.msg);
    expect(messages.indexOf("worker ready")).toBeGreaterThanOrEqual(0);
    expect(messages.indexOf("worker ready")).toBeLessThan(messages.indexOf("actor ran"));
  });
});
