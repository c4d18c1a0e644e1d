/**
 * RabbitMQ broker: connection start-up, and the queue topology Python Dramatiq
 * declares (compared with the golden `fixtures/dramatiq/queues.json`).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RabbitmqBroker } from "../../src/brokers/rabbitmq.js";
import { ConnectionFailedError, InequivalentQueueError } from "../../src/errors.js";
import {
  captureLogger,
  hasRabbitmqctl,
  loadFixture,
  RABBITMQ_URL,
  RabbitAdmin,
  rabbitmqctl,
  requireRabbitmq,
  testMiddleware,
} from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const withRabbitmqctl = available && (await hasRabbitmqctl());

interface FixtureQueue {
  name: string;
  durable: boolean;
  auto_delete: boolean;
  exclusive: boolean;
  arguments_rabbitmqctl: string;
}

const fixture = loadFixture<{ queues: FixtureQueue[] }>("queues.json");

// The fixture's queues, with their family renamed to `family` (names appear inside the arguments too).
function expectedQueues(fixtureFamily: string, family: string): FixtureQueue[] {
  return fixture.queues
    .filter((queue) => [fixtureFamily, `${fixtureFamily}.DQ`, `${fixtureFamily}.XQ`].includes(queue.name))
    .map((queue) => ({
      ...queue,
      name: queue.name.replace(fixtureFamily, family),
      arguments_rabbitmqctl: queue.arguments_rabbitmqctl.replaceAll(
        `"${fixtureFamily}.XQ"`,
        `"${family}.XQ"`,
      ),
    }));
}

describe.runIf(available)("RabbitmqBroker: connection and topology", () => {
  let admin: RabbitAdmin;

  beforeAll(async () => {
    admin = await RabbitAdmin.open();
  });

  afterAll(async () => {
    await admin?.cleanup();
  });

  it("connect() fails fast with ConnectionFailedError and never shows the password", async () => {
    // Given a URL with a password, where nothing listens
    const broker = new RabbitmqBroker({
      url: "amqp://alice:s3cr3t-pw@127.0.0.1:1",
      logger: captureLogger().logger,
    });

    // When connecting, then the error names the redacted URL
    const error = await broker.connect().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect((error as Error).message).toContain("amqp://alice:***@127.0.0.1:1");
    expect((error as Error).message).not.toContain("s3cr3t-pw");
    expect(broker.url).toBe("amqp://alice:***@127.0.0.1:1");
    await broker.close();
  });

  it("importing the module registers the default broker, and neither it nor the constructor loads amqplib or opens a socket", async () => {
    // Given a fresh Node process (this one has amqplib loaded by the test helpers)
    const source = (path: string) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));
    const script = `
      const { RabbitmqBroker } = await import(${source("../../src/brokers/rabbitmq.ts")});
      const { getBroker } = await import(${source("../../src/broker.ts")});
      const { createRequire } = await import("node:module");
      const broker = getBroker();
      const cache = Object.keys(createRequire(process.cwd() + "/").cache);
      console.log(JSON.stringify({
        isRabbitmq: broker instanceof RabbitmqBroker,
        amqplibLoaded: cache.some((path) => path.includes("amqplib")),
        sockets: process.getActiveResourcesInfo().filter((kind) => kind.startsWith("TCP")),
      }));`;

    // When it imports the module and builds the default global broker
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: fileURLToPath(new URL("../../../..", import.meta.url)),
        env: { ...process.env, OPSQ_LOG_LEVEL: "silent" },
      },
    );

    // Then the global broker is a RabbitmqBroker, and nothing was loaded or connected yet
    expect(JSON.parse(stdout)).toEqual({ isRabbitmq: true, amqplibLoaded: false, sockets: [] });
  });

  it("the constructor does no I/O: an unreachable URL only fails on first use", async () => {
    const broker = new RabbitmqBroker({
      url: "amqp://guest:guest@127.0.0.1:1",
      logger: captureLogger().logger,
    });
    await expect(broker.getQueueCounts("anything")).rejects.toBeInstanceOf(ConnectionFailedError);
    await broker.close();
  });

  it("declares q, q.DQ and q.XQ with Dramatiq's exact arguments, so redeclaring them with those succeeds", async () => {
    // Given a broker with and one without max priority
    const plain = admin.queue();
    const prio = admin.queue();
    const brokers = [
      new RabbitmqBroker({ url: RABBITMQ_URL, middleware: testMiddleware(), logger: captureLogger().logger }),
      new RabbitmqBroker({
        url: RABBITMQ_URL,
        maxPriority: 10,
        middleware: testMiddleware(),
        logger: captureLogger().logger,
      }),
    ];
    try {
      // When each declares its family
      await brokers[0]!.declareQueueOnServer(plain);
      await brokers[1]!.declareQueueOnServer(prio);

      // Then a raw declare with the fixture's arguments is equivalent (RabbitMQ answers 406 otherwise)
      for (const [family, fixtureFamily] of [
        [plain, "harness-wire"],
        [prio, "harness-wire-prio"],
      ] as const) {
        const xq = `${family}.XQ`;
        const mainArgs: Record<string, unknown> = {
          "x-dead-letter-exchange": "",
          "x-dead-letter-routing-key": xq,
        };
        if (fixtureFamily === "harness-wire-prio") {
          mainArgs["x-max-priority"] = 10;
        }
        await admin.declare(family, mainArgs);
        await admin.declare(`${family}.DQ`, mainArgs);
        await admin.declare(xq, { "x-message-ttl": 604_800_000 });
      }
    } finally {
      await Promise.all(brokers.map((broker) => broker.close()));
    }
  });

  it.runIf(withRabbitmqctl)("matches queues.json byte for byte in rabbitmqctl list_queues", async () => {
    // Given a broker with and one without max priority, each declaring its family
    const plain = admin.queue();
    const prio = admin.queue();
    const plainBroker = new RabbitmqBroker({ url: RABBITMQ_URL, logger: captureLogger().logger });
    const prioBroker = new RabbitmqBroker({
      url: RABBITMQ_URL,
      maxPriority: 10,
      logger: captureLogger().logger,
    });
    try {
      await plainBroker.declareQueueOnServer(plain);
      await prioBroker.declareQueueOnServer(prio);
    } finally {
      await Promise.all([plainBroker.close(), prioBroker.close()]);
    }

    // When listing queues as the fixture was made
    const listing = await rabbitmqctl(
      "list_queues",
      "--no-table-headers",
      "name",
      "durable",
      "auto_delete",
      "exclusive",
      "arguments",
    );
    const actual = new Map(
      listing
        .trim()
        .split("\n")
        .map((line) => line.split("\t"))
        .map(([name, durable, autoDelete, exclusive, args]) => [
          name!,
          {
            name: name!,
            durable: durable === "true",
            auto_delete: autoDelete === "true",
            exclusive: exclusive === "true",
            arguments_rabbitmqctl: args!,
          },
        ]),
    );

    // Then each queue is exactly the fixture's
    const expected = [...expectedQueues("harness-wire", plain), ...expectedQueues("harness-wire-prio", prio)];
    expect(expected).toHaveLength(6);
    for (const queue of expected) {
      expect(actual.get(queue.name)).toEqual(queue);
    }
  });

  it("a queue declared with other arguments fails with InequivalentQueueError naming it and both argument sets", async () => {
    // Given a queue created by someone else without x-max-priority
    const queue = admin.queue();
    await admin.declare(queue, { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` });
    const broker = new RabbitmqBroker({
      url: RABBITMQ_URL,
      maxPriority: 10,
      middleware: testMiddleware(),
      logger: captureLogger().logger,
    });
    try {
      // When opsq declares it with x-max-priority
      const error = await broker.declareQueueOnServer(queue).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

      // Then the error names the queue, our arguments and RabbitMQ's complaint
      expect(error).toBeInstanceOf(InequivalentQueueError);
      const message = (error as Error).message;
      expect(message).toContain(`queue "${queue}"`);
      expect(message).toContain('"x-max-priority":10');
      expect(message).toContain("inequivalent arg 'x-max-priority'");
      expect(message).not.toContain("\n");

      // And the broker keeps working on a new channel (a 406 closes the one it happened on)
      const other = admin.queue();
      await broker.declareQueueOnServer(other);
      expect(await broker.getQueueCounts(other)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
    } finally {
      await broker.close();
    }
  });
});
