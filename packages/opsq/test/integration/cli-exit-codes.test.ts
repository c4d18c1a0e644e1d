/**
 * Exit codes of the built `opsq` CLI as documented: a bad argument or URL is 2, a server that
 * refuses the worker's queues is 3 with one line, a closed stdout is a normal end (0), and
 * `opsq help [command]` prints help.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runWithClosedStdout } from "../../../../test-support/closed-stdout.js";
import { BIN, CliProcess, ensureBuilt, FIXTURES, killLeftovers } from "../fixtures/cli/cli-process.js";
import { CliTestBed } from "../helpers/cli-bed.js";
import { RABBITMQ_URL, requireRabbitmq } from "../helpers/rabbitmq.js";

const RABBIT_ACTORS = join(FIXTURES, "rabbit-actors.js");

beforeAll(() => {
  ensureBuilt();
});

afterEach(async () => {
  await killLeftovers();
});

describe("opsq: bad arguments exit 2", () => {
  it.each([
    ["worker --broker-url not-a-url", ["worker", RABBIT_ACTORS, "--broker-url", "not-a-url"]],
    [
      "worker --broker-url with a raw / in the password",
      ["worker", RABBIT_ACTORS, "--broker-url", "amqp://u:pa/ss@h"],
    ],
    ["worker --broker-url http://", ["worker", RABBIT_ACTORS, "--broker-url", "http://localhost:5672"]],
    ["queues --broker-url not-a-url", ["queues", "q", "--broker-url", "not-a-url"]],
    ["dead-letters --broker-url not-a-url", ["dead-letters", "q", "--broker-url", "not-a-url"]],
  ])("%s: one line naming the option, the URL not echoed", async (_name, args) => {
    const { code, stdout, stderr } = await CliProcess.run(args);

    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^opsq: --broker-url (is not a valid URL|must start with amqp:\/\/)/);
    expect(stderr).not.toContain("pa/ss");
    expect(stdout).toBe("");
  });

  it("RABBITMQ_URL that is not a URL: exit 2 naming the variable", async () => {
    const { code, stderr } = await CliProcess.run(["worker", RABBIT_ACTORS], {
      env: { RABBITMQ_URL: "not-a-url" },
    });

    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(/^opsq: RABBITMQ_URL is not a valid URL/);
  });
});

describe("opsq help", () => {
  it("opsq help prints the usage and exits 0", async () => {
    const { code, stdout } = await CliProcess.run(["help"]);

    expect(code).toBe(0);
    expect(stdout).toContain("Usage: opsq [options] [command]");
    expect(stdout).toContain("help [command]");
  });

  it("opsq help worker prints the worker's usage and exit codes", async () => {
    const { code, stdout } = await CliProcess.run(["help", "worker"]);

    expect(code).toBe(0);
    expect(stdout).toContain("Usage: opsq worker [options] <modules...>");
    expect(stdout).toContain("Exit codes:");
  });
});

describe("opsq: a closed stdout", () => {
  it("opsq worker --help into a pipe closed at once exits 0, without a stack", async () => {
    // As `opsq worker --help | true`: the reader is gone before the help is written.
    const { code, stderr } = await runWithClosedStdout([BIN, "worker", "--help"]);

    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

const available = await requireRabbitmq();

describe.runIf(available)("opsq worker: a queue RabbitMQ already has with other arguments", () => {
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "cli-406");

  it("exits 3 with one line naming the queue, the differing argument and how to match it", async () => {
    // Given the queue declared beforehand by another producer (Python's Dramatiq with max_priority)
    await bed.admin.declare(bed.queue, { "x-max-priority": 10 });

    // When a worker for that queue starts
    const { code, stderr } = await CliProcess.run(["worker", RABBIT_ACTORS], {
      env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue, OPSQ_TEST_MARKERS: bed.markers },
    });

    // Then it exits 3 (not 1, "unexpected error"), in one line
    expect(code).toBe(3);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^opsq: RabbitMQ at amqp:\/\/guest:\*\*\*@.* refuses the worker's queues: /);
    expect(lines[0]).toContain(`queue "${bed.queue}" already exists with other arguments`);
    expect(lines[0]).toMatch(/inequivalent arg '[a-z-]+'/);
    expect(lines[0]).toContain("use the same settings (e.g. maxPriority, queueType)");
  });
});
