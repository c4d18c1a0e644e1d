/**
 * Helpers for tests against a live RabbitMQ: unique queue names, a
 * skip-locally-fail-in-CI availability check, a raw amqplib admin connection
 * (publish raw bytes, read queues, delete queues), a test bed of brokers and
 * workers closed after each test, `rabbitmqctl`, a bounded poll, a log capture
 * and a middleware stack with short backoffs.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import amqp, { type Channel, type ChannelModel, type GetMessage, type Options } from "amqplib";
import { pino } from "pino";
import { RabbitmqBroker, type RabbitmqBrokerOptions } from "../../src/brokers/rabbitmq.js";
import { type Logger, redactUrl } from "../../src/logger.js";
import { defaultMiddleware } from "../../src/middleware/defaults.js";
import type { Middleware } from "../../src/middleware/middleware.js";
import { Retries } from "../../src/middleware/retries.js";
import { dqName, qName, xqName } from "../../src/queue-names.js";
import { Worker, type WorkerOptions } from "../../src/worker.js";

/** The RabbitMQ the integration tests use. */
export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";

const run = promisify(execFile);

/**
 * A golden file recorded from Python Dramatiq 2.2 on RabbitMQ 3.10
 * (`test/integration/fixtures/dramatiq/`, copied from the shared wire contract).
 */
export function loadFixture<T>(name: "messages.json" | "queues.json" | "fidelity.json"): T {
  const url = new URL(`../integration/fixtures/dramatiq/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as T;
}

/** A fresh queue name, `<prefix>-<random>`, valid for Dramatiq's name rule. */
export function uniqueQueue(prefix = "test"): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

/**
 * True when an AMQP handshake with RabbitMQ succeeds. When it fails, the
 * caller skips its tests, unless `CI` is set: then this throws, so CI fails.
 */
export async function requireRabbitmq(): Promise<boolean> {
  try {
    const connection = await amqp.connect(RABBITMQ_URL, { timeout: 3_000 });
    await connection.close();
    return true;
  } catch (error) {
    const reason = `RabbitMQ unreachable at ${redactUrl(RABBITMQ_URL)}: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI) {
      throw new Error(`${reason} (CI is set, so integration tests must not be skipped)`);
    }
    console.warn(`${reason}; skipping these integration tests`);
    return false;
  }
}

/** The default middleware stack with millisecond backoffs, so retries happen within a test. */
export function testMiddleware(): Middleware[] {
  return defaultMiddleware().map((middleware) =>
    middleware instanceof Retries ? new Retries({ minBackoffMs: 50, maxBackoffMs: 200 }) : middleware,
  );
}

/** A raw amqplib connection, for what tests do behind opsq's back. */
export class RabbitAdmin {
  readonly #model: ChannelModel;
  #channel: Channel | undefined;
  readonly #families = new Set<string>();

  private constructor(model: ChannelModel) {
    this.#model = model;
  }

  /** Opens the admin connection. */
  static async open(): Promise<RabbitAdmin> {
    return new RabbitAdmin(await amqp.connect(RABBITMQ_URL));
  }

  /** Remembers a queue family (`q`, `q.DQ`, `q.XQ`) to delete in {@link RabbitAdmin.cleanup}. */
  track(queueName: string): string {
    this.#families.add(qName(queueName));
    return queueName;
  }

  /** A unique queue name, tracked for cleanup. */
  queue(prefix = "test"): string {
    return this.track(uniqueQueue(prefix));
  }

  /** Runs `operation` on a channel, opening a new one if a server error closed the last. */
  async withChannel<T>(operation: (channel: Channel) => Promise<T>): Promise<T> {
    if (this.#channel === undefined) {
      const channel = await this.#model.createChannel();
      channel.on("error", () => {});
      channel.on("close", () => {
        if (this.#channel === channel) {
          this.#channel = undefined;
        }
      });
      this.#channel = channel;
    }
    return operation(this.#channel);
  }

  /** Publishes raw bytes to a queue through the default exchange, persistent unless told otherwise. */
  async publishRaw(queue: string, body: string | Buffer, options: Options.Publish = {}): Promise<void> {
    const content = typeof body === "string" ? Buffer.from(body) : body;
    const channel = await this.#model.createConfirmChannel();
    try {
      channel.sendToQueue(queue, content, { persistent: true, ...options });
      await channel.waitForConfirms();
    } finally {
      await channel.close();
    }
  }

  /** Takes every message out of a queue (basic.get with auto-ack). */
  async takeAll(queue: string): Promise<GetMessage[]> {
    return this.withChannel(async (channel) => {
      const messages: GetMessage[] = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (message === false) {
          return messages;
        }
        messages.push(message);
      }
    });
  }

  /** Ready messages in a queue. */
  async count(queue: string): Promise<number> {
    return this.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  /** Declares a queue with the given arguments (to set up a conflicting queue). */
  async declare(queue: string, args: Record<string, unknown>): Promise<void> {
    await this.withChannel((channel) => channel.assertQueue(queue, { durable: true, arguments: args }));
  }

  /** Deletes a whole queue family. */
  async deleteFamily(queueName: string): Promise<void> {
    const q = qName(queueName);
    await this.withChannel(async (channel) => {
      for (const name of [q, dqName(q), xqName(q)]) {
        await channel.deleteQueue(name);
      }
    });
  }

  /** Deletes every tracked queue family and closes the connection. */
  async cleanup(): Promise<void> {
    for (const family of this.#families) {
      await this.deleteFamily(family);
    }
    this.#families.clear();
    await this.#model.close();
  }
}

/** Defaults of the brokers and workers a {@link RabbitTestBed} makes. */
export interface RabbitTestBedDefaults {
  /** Over the bed's own: the test RabbitMQ, {@link testMiddleware} and a captured logger. */
  broker?: RabbitmqBrokerOptions;
  worker?: WorkerOptions;
}

/**
 * The vitest hooks a {@link RabbitTestBed} registers with, passed in by the test file (this
 * module does not import vitest: the chaos suite loads it too).
 */
export interface TestHooks {
  beforeAll(hook: () => Promise<void>): void;
  afterEach(hook: () => Promise<void>): void;
  afterAll(hook: () => Promise<void>): void;
}

/**
 * What the RabbitMQ test files share, as a pytest fixture would: the admin connection (opened
 * before the file's tests, deleting the queues it handed out after them), and the brokers and
 * workers of one test, stopped and closed after it.
 */
export class RabbitTestBed {
  readonly #defaults: RabbitTestBedDefaults;
  #admin: RabbitAdmin | undefined;
  readonly #workers: Worker[] = [];
  readonly #brokers: RabbitmqBroker[] = [];
  readonly #deferred: (() => Promise<void>)[] = [];

  private constructor(defaults: RabbitTestBedDefaults) {
    this.#defaults = defaults;
  }

  /**
   * A test bed for the enclosing `describe`:
   * `const rabbit = RabbitTestBed.use({ beforeAll, afterEach, afterAll })`.
   */
  static use(hooks: TestHooks, defaults: RabbitTestBedDefaults = {}): RabbitTestBed {
    const bed = new RabbitTestBed(defaults);
    hooks.beforeAll(async () => {
      bed.#admin = await RabbitAdmin.open();
    });
    hooks.afterEach(() => bed.#afterEach());
    hooks.afterAll(async () => {
      await bed.#admin?.cleanup();
    });
    return bed;
  }

  /** The admin connection (open from `beforeAll` on). */
  get admin(): RabbitAdmin {
    if (this.#admin === undefined) {
      throw new Error("the RabbitMQ admin connection is not open: use it inside a test");
    }
    return this.#admin;
  }

  /** A broker on the test RabbitMQ, closed after the test; `options` go over the defaults. */
  broker(options: RabbitmqBrokerOptions = {}): RabbitmqBroker {
    const broker = new RabbitmqBroker({
      url: RABBITMQ_URL,
      middleware: testMiddleware(),
      logger: captureLogger().logger,
      ...this.#defaults.broker,
      ...options,
    });
    this.#brokers.push(broker);
    return broker;
  }

  /** Starts a worker on `broker`, stopped after the test; `options` go over the defaults. */
  async startWorker(broker: RabbitmqBroker, options: WorkerOptions = {}): Promise<Worker> {
    const worker = new Worker(broker, { ...this.#defaults.worker, ...options });
    this.#workers.push(worker);
    await worker.start();
    return worker;
  }

  /** Runs `close` after the test, once its workers and brokers are done (a proxy's, say); last deferred, first run. */
  defer(close: () => Promise<void>): void {
    this.#deferred.push(close);
  }

  /** Stops the test's workers, then closes its brokers, then runs what was deferred. */
  async #afterEach(): Promise<void> {
    await Promise.all(this.#workers.splice(0).map((worker) => worker.stop()));
    await Promise.all(this.#brokers.splice(0).map((broker) => broker.close()));
    for (const close of this.#deferred.splice(0).reverse()) {
      await close();
    }
  }
}

/** Waits until `condition` holds, polling every `intervalMs`; fails with `message` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 20, message = "condition" } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** True when `rabbitmqctl` can talk to the local node (it needs root or the rabbitmq user). */
export async function hasRabbitmqctl(): Promise<boolean> {
  try {
    await run("rabbitmqctl", ["-q", "status"], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs `rabbitmqctl -q <args>` and returns its output. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run("rabbitmqctl", ["-q", ...args], { timeout: 30_000 });
  return stdout;
}

/**
 * Force-closes, as a server restart would, every connection whose client named
 * itself `connectionName` (`rabbitmqctl close_connection`); leaves others alone.
 * Returns how many it closed.
 */
export async function closeConnectionsNamed(connectionName: string): Promise<number> {
  const listing = await rabbitmqctl("list_connections", "--no-table-headers", "pid", "client_properties");
  const pids = listing
    .split("\n")
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split("\t")[0]!);
  for (const pid of pids) {
    await rabbitmqctl("close_connection", pid, "opsq integration test: simulated outage");
  }
  return pids.length;
}

/** A TCP proxy in front of RabbitMQ, to break connections as a network would. */
export interface FlakyProxy {
  /** An AMQP URL that goes through the proxy. */
  readonly url: string;
  /** Stops forwarding on the connections open now, leaving their sockets open (a black hole); new ones work. */
  freeze(): void;
  /** Drops every connection and refuses new ones for `ms`, as a restarting server would. */
  outage(ms: number): void;
  /** Stops the proxy and destroys its connections. */
  close(): Promise<void>;
}

/** Starts a {@link FlakyProxy} to the RabbitMQ of {@link RABBITMQ_URL}. */
export async function startFlakyProxy(): Promise<FlakyProxy> {
  const target = new URL(RABBITMQ_URL);
  const pairs = new Set<[Socket, Socket]>();
  const frozen = new Set<[Socket, Socket]>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
      frozen.delete(pair);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(RABBITMQ_URL);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    freeze() {
      for (const pair of pairs) {
        for (const socket of pair) {
          socket.unpipe();
          socket.pause();
          // No more coupling: when RabbitMQ gives up on its side, the client must not hear of it.
          socket
            .removeAllListeners("close")
            .removeAllListeners("error")
            .on("error", () => {});
        }
        frozen.add(pair);
      }
      pairs.clear();
    },
    outage(ms: number) {
      refusing = true;
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      setTimeout(() => {
        refusing = false;
      }, ms);
    },
    async close() {
      for (const [client, upstream] of [...pairs, ...frozen]) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A JSON log line as pino writes it. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A debug-level logger whose lines are kept in `lines` (and also their raw text, to look for secrets). */
export function captureLogger(): { logger: Logger; lines: LogLine[]; text: () => string } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString();
      raw.push(text);
      for (const line of text.split("\n")) {
        if (line.trim() !== "") {
          lines.push(JSON.parse(line) as LogLine);
        }
      }
      callback();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines, text: () => raw.join("") };
}

/** Pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
