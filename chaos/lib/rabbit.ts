/**
 * RabbitMQ plumbing for the chaos scenarios: `rabbitmqctl` and the close-by-connection-name
 * helper of opsq's integration tests, a raw amqplib admin that survives outages (raw publish,
 * counts, queue deletion), a readiness probe by real AMQP handshake, the run's own RabbitMQ
 * user, and the file-backed loggers the producers use.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import amqp, { type Channel, type ChannelModel } from "amqplib";
import { type Logger, pino } from "pino";
import {
  closeConnectionsNamed,
  hasRabbitmqctl,
  rabbitmqctl,
} from "../../packages/opsq/test/helpers/rabbitmq.js";
import { errorText, sleep } from "./scenario.js";

export { closeConnectionsNamed, hasRabbitmqctl, rabbitmqctl };

/** The RabbitMQ of the suite (an administrator account: guest on the local test server). */
export const ADMIN_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/** A fresh queue name, `chaos-<scenario>-<random>`. */
export function uniqueQueue(scenario: string): string {
  return `chaos-${scenario}-${randomBytes(5).toString("hex")}`;
}

/** A fresh connection name, so that only this scenario's connections are closed by name. */
export function uniqueConnectionName(scenario: string): string {
  return `opsq-chaos-${scenario}-${randomBytes(4).toString("hex")}`;
}

/**
 * A raw amqplib connection for what the scenarios do behind opsq's back. It opens again when
 * a server restart or a forced close dropped it.
 */
export class Admin {
  readonly #urls: readonly string[];
  #model: ChannelModel | undefined;
  #channel: Channel | undefined;
  readonly #families = new Set<string>();

  /** @param urls the nodes to try, in order (the first that answers is used) */
  constructor(urls: readonly string[] = [ADMIN_URL]) {
    this.#urls = urls;
  }

  /** Remembers a queue family (`q`, `q.DQ`, `q.XQ`) for {@link Admin.cleanup}. */
  track(queue: string): string {
    this.#families.add(queue);
    return queue;
  }

  async #connection(): Promise<ChannelModel> {
    if (this.#model === undefined) {
      const model = await this.#connect();
      model.on("error", () => {});
      model.on("close", () => {
        if (this.#model === model) {
          this.#model = undefined;
          this.#channel = undefined;
        }
      });
      this.#model = model;
    }
    return this.#model;
  }

  async #connect(): Promise<ChannelModel> {
    let failure: unknown;
    for (const url of this.#urls) {
      try {
        return await amqp.connect(url, {
          timeout: 5_000,
          clientProperties: { connection_name: "opsq-chaos-admin" },
        });
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }

  /** Runs `operation` on a channel (a new one after a server error closed the last). */
  async withChannel<T>(operation: (channel: Channel) => Promise<T>): Promise<T> {
    if (this.#channel === undefined) {
      const channel = await (await this.#connection()).createChannel();
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

  /** Publishes raw bodies (persistent) through the default exchange and waits for every confirm. */
  async publishRaw(items: readonly { queue: string; body: Buffer }[]): Promise<void> {
    const channel = await (await this.#connection()).createConfirmChannel();
    channel.on("error", () => {});
    try {
      for (const { queue, body } of items) {
        if (!channel.sendToQueue(queue, body, { persistent: true })) {
          await new Promise((resolve) => channel.once("drain", resolve));
        }
      }
      await channel.waitForConfirms();
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /** Ready messages in a queue. */
  count(queue: string): Promise<number> {
    return this.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  /** Ready messages and consumers of a queue; zeros when it does not exist. */
  async inspect(queue: string): Promise<{ messages: number; consumers: number }> {
    try {
      const reply = await this.withChannel((channel) => channel.checkQueue(queue));
      return { messages: reply.messageCount, consumers: reply.consumerCount };
    } catch {
      return { messages: 0, consumers: 0 };
    }
  }

  /** Takes up to `max` messages out of a queue (auto-ack). */
  async take(queue: string, max = 10_000): Promise<Buffer[]> {
    return this.withChannel(async (channel) => {
      const bodies: Buffer[] = [];
      while (bodies.length < max) {
        const message = await channel.get(queue, { noAck: true });
        if (message === false) {
          break;
        }
        bodies.push(message.content);
      }
      return bodies;
    });
  }

  /** Deletes the tracked queue families and closes; never throws (it reports what failed). */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    for (const family of this.#families) {
      for (const name of [family, `${family}.DQ`, `${family}.XQ`]) {
        try {
          await this.withChannel((channel) => channel.deleteQueue(name));
        } catch (error) {
          problems.push(`could not delete queue ${name}: ${errorText(error)}`);
        }
      }
    }
    this.#families.clear();
    await this.#model?.close().catch(() => {});
    this.#model = undefined;
    return problems;
  }
}

/** Waits for a real AMQP handshake with RabbitMQ; false after `timeoutMs`. */
export async function waitForRabbit(timeoutMs = 60_000, url = ADMIN_URL): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const model = await amqp.connect(url, { timeout: 3_000 });
      await model.close();
      return true;
    } catch {
      if (Date.now() > deadline) {
        return false;
      }
      await sleep(250);
    }
  }
}

/** True when the RabbitMQ application is running on the node (`rabbitmqctl status` says so). */
export async function rabbitAppRunning(): Promise<boolean> {
  try {
    const out = await rabbitmqctl("eval", "rabbit:is_running().");
    return out.trim() === "true";
  } catch {
    return false;
  }
}

/**
 * Makes sure the RabbitMQ application runs and takes AMQP connections: `start_app` when it is
 * stopped, then a real handshake. For `finally` blocks.
 */
export async function ensureRabbitRunning(): Promise<boolean> {
  if (!(await rabbitAppRunning())) {
    await rabbitmqctl("start_app").catch(() => {});
  }
  return waitForRabbit(120_000);
}

/** A RabbitMQ user of the run, with a random password, and the AMQP URL that uses it. */
export interface RunUser {
  readonly name: string;
  readonly password: string;
  readonly url: string;
  /** Deletes the user. */
  remove(): Promise<void>;
}

/**
 * Creates a RabbitMQ user with a long random password and full rights on `/`, so the suite
 * can grep every log for a password that appears nowhere else.
 */
export async function createRunUser(): Promise<RunUser> {
  const name = `opsq_chaos_${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(12).toString("hex")}`;
  await rabbitmqctl("add_user", name, password);
  try {
    await rabbitmqctl("set_permissions", "-p", "/", name, ".*", ".*", ".*");
  } catch (error) {
    await rabbitmqctl("delete_user", name).catch(() => {});
    throw error;
  }
  const url = new URL(ADMIN_URL);
  url.username = name;
  url.password = password;
  return {
    name,
    password,
    url: url.toString().replace(/\/$/, ""),
    remove: async () => {
      await rabbitmqctl("delete_user", name);
    },
  };
}

/** A debug-level pino logger appending to `file` synchronously (so a crash loses nothing). */
export function fileLogger(file: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { level: "debug", base: { pid: process.pid, ...bindings } },
    pino.destination({ dest: file, sync: true }),
  );
}
