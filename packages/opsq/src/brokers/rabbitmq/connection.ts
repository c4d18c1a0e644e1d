/**
 * The RabbitMQ connection of a broker: opened lazily (amqplib is imported on
 * first use), with heartbeats, and recovered with capped, jittered exponential
 * backoff when it drops. With the URLs of several nodes of a cluster, each attempt tries them
 * in a fresh shuffled order (the node just lost last, each within 3 s unless `socketOptions.timeout`
 * says otherwise), so a lost node's clients move to a live one. One warn line per outage, one
 * info line per recovery.
 *
 * @module
 */
import type { ChannelModel, SocketOptions } from "amqplib";
import { ConnectionClosedError, ConnectionFailedError } from "../../errors.js";
import { type Logger, redactUrl } from "../../logger.js";
import { shuffled } from "./broker-urls.js";

/** Backoff between reconnection attempts after a connection was lost. */
export interface ReconnectOptions {
  /** Delay before the first attempt. @default 100 */
  initialDelayMs?: number;
  /** Longest delay between two attempts. @default 10000 */
  maxDelayMs?: number;
}

/** What {@link RabbitmqConnection} needs to connect. */
export interface ConnectionSettings {
  /** AMQP URLs (one node, or several nodes of one cluster), with credentials; at least one. */
  readonly urls: readonly string[];
  /** Heartbeat period, unless the URL sets `heartbeat`. */
  readonly heartbeatSeconds: number;
  /** Socket and TLS options handed to amqplib. */
  readonly socketOptions: SocketOptions;
  /** Shown in the RabbitMQ management UI and `rabbitmqctl list_connections`. */
  readonly connectionName: string;
  /** Backoff between reconnection attempts. */
  readonly reconnect: Required<ReconnectOptions>;
  /** Gets one warn line per outage and one info line per recovery. */
  readonly logger: Logger;
}

type Amqplib = typeof import("amqplib");

let amqplib: Promise<Amqplib> | undefined;

// Loaded on first connection only, so importing opsq (and starting a worker's CLI) stays fast.
function loadAmqplib(): Promise<Amqplib> {
  amqplib ??= import("amqplib").then((module) => (module.default ?? module) as Amqplib);
  return amqplib;
}

/** Default socket connect timeout, so an unreachable host fails start-up instead of hanging. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Default connect timeout per node when there are several: a node that takes the TCP connection
 * but does not answer (one being drained or stopped keeps its socket open) must not hold up the
 * move to a live one for long.
 */
const NODE_CONNECT_TIMEOUT_MS = 3_000;

/** Promise-returning pause. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Exponential backoff for `attempt` (from 1), capped at `maxDelayMs`, with ±20 % jitter. */
export function reconnectDelay(attempt: number, options: Required<ReconnectOptions>): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.min(options.maxDelayMs, Math.round(base * (0.8 + 0.4 * Math.random())));
}

interface Waiter {
  resolve: (model: ChannelModel) => void;
  reject: (error: Error) => void;
}

/**
 * One AMQP connection that comes back by itself. The first connection fails
 * fast with {@link ConnectionFailedError}; once connected, a dropped connection
 * is re-opened until {@link RabbitmqConnection.close} is called, and
 * {@link RabbitmqConnection.ready} waits through the outage.
 */
export class RabbitmqConnection {
  /** Every URL, with its password replaced by `***`, for logs and errors. */
  readonly redactedUrls: readonly string[];
  readonly #settings: ConnectionSettings;
  /** Index in `urls` of the node connected to last. */
  #node = 0;
  #model: ChannelModel | undefined;
  #opening: Promise<ChannelModel> | undefined;
  #connectedOnce = false;
  #closed = false;
  #waiters: Waiter[] = [];
  #outage: { since: number; attempts: number } | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** @param settings URL, heartbeat, socket options, backoff and logger */
  constructor(settings: ConnectionSettings) {
    if (settings.urls.length === 0) {
      throw new RangeError("a RabbitMQ connection needs at least one URL");
    }
    this.#settings = settings;
    this.redactedUrls = settings.urls.map(redactUrl);
  }

  /**
   * The URL of the node connected to (or connected to last), password replaced by `***`; before
   * the first connection, every URL, comma-separated.
   */
  get redactedUrl(): string {
    return this.#connectedOnce ? this.redactedUrls[this.#node]! : this.redactedUrls.join(",");
  }

  /** True while a connection is open. */
  get isOpen(): boolean {
    return this.#model !== undefined;
  }

  /** True once {@link RabbitmqConnection.close} was called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** The open connection, or undefined while disconnected. */
  get current(): ChannelModel | undefined {
    return this.#model;
  }

  /**
   * The open connection. Connects on first use (rejecting with
   * {@link ConnectionFailedError} when RabbitMQ is unreachable), waits while a
   * lost connection is being recovered, and rejects with
   * {@link ConnectionClosedError} once closed.
   */
  ready(): Promise<ChannelModel> {
    if (this.#closed) {
      return Promise.reject(new ConnectionClosedError("the RabbitMQ broker is closed"));
    }
    if (this.#model !== undefined) {
      return Promise.resolve(this.#model);
    }
    if (!this.#connectedOnce) {
      this.#opening ??= this.#connectFirst().finally(() => {
        this.#opening = undefined;
      });
      return this.#opening;
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Stops reconnecting and closes the connection (which closes its channels). */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearTimeout(this.#timer);
    const error = new ConnectionClosedError("the RabbitMQ broker is closed");
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(error);
    }
    const model = this.#model ?? (await this.#opening?.catch(() => undefined));
    this.#model = undefined;
    await model?.close().catch(() => {});
  }

  async #connectFirst(): Promise<ChannelModel> {
    let model: ChannelModel;
    try {
      model = await this.#open();
    } catch (error) {
      throw new ConnectionFailedError(`cannot connect to RabbitMQ ${redactUrl(errorText(error))}`, {
        cause: error,
      });
    }
    if (this.#closed) {
      await model.close().catch(() => {});
      throw new ConnectionClosedError("the RabbitMQ broker is closed");
    }
    this.#model = model;
    this.#connectedOnce = true;
    this.#settings.logger.debug({ url: this.redactedUrl }, "connected to RabbitMQ");
    return model;
  }

  // Tries each node once, in a shuffled order, the node just lost (`last`) after the others.
  // The error names every node tried and why it failed.
  async #open(last?: number): Promise<ChannelModel> {
    const others = this.#settings.urls.map((_url, index) => index).filter((index) => index !== last);
    const order = last === undefined ? shuffled(others) : [...shuffled(others), last];
    const failures: string[] = [];
    for (const index of order) {
      try {
        const model = await this.#openNode(this.#settings.urls[index]!);
        this.#node = index;
        return model;
      } catch (error) {
        failures.push(`${this.redactedUrls[index]}: ${errorText(error)}`);
      }
    }
    throw new Error(
      failures.length === 1
        ? `at ${failures[0]}`
        : `at none of ${failures.length} nodes (${failures.join("; ")})`,
    );
  }

  async #openNode(url: string): Promise<ChannelModel> {
    const { connect } = await loadAmqplib();
    const { socketOptions, connectionName } = this.#settings;
    const model = await connect(this.#urlWithHeartbeat(url), {
      timeout: this.#settings.urls.length > 1 ? NODE_CONNECT_TIMEOUT_MS : CONNECT_TIMEOUT_MS,
      ...socketOptions,
      clientProperties: { connection_name: connectionName, ...socketOptions.clientProperties },
    });
    // 'error' always precedes 'close', which carries the same reason; without a listener it would throw.
    model.on("error", () => {});
    model.on("close", (error?: Error) => this.#lost(model, error));
    model.on("blocked", (reason: string) =>
      this.#settings.logger.warn({ reason }, "RabbitMQ is blocking publishers (resource alarm)"),
    );
    model.on("unblocked", () => this.#settings.logger.info("RabbitMQ unblocked publishers"));
    return model;
  }

  #urlWithHeartbeat(url: string): string {
    const { heartbeatSeconds } = this.#settings;
    let hasHeartbeat = false;
    try {
      hasHeartbeat = new URL(url).searchParams.has("heartbeat");
    } catch {
      // amqplib reports a malformed URL itself, without echoing the credentials.
    }
    if (hasHeartbeat) {
      return url;
    }
    return `${url}${url.includes("?") ? "&" : "?"}heartbeat=${heartbeatSeconds}`;
  }

  #lost(model: ChannelModel, error: Error | undefined): void {
    if (this.#model !== model) {
      return;
    }
    this.#model = undefined;
    if (this.#closed) {
      return;
    }
    this.#outage = { since: Date.now(), attempts: 0 };
    this.#settings.logger.warn(
      { url: this.redactedUrl, reason: redactUrl(errorText(error ?? "closed by the server")) },
      "RabbitMQ connection lost; reconnecting",
    );
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const outage = this.#outage!;
    outage.attempts++;
    this.#timer = setTimeout(
      () => void this.#reconnect(),
      reconnectDelay(outage.attempts, this.#settings.reconnect),
    );
  }

  async #reconnect(): Promise<void> {
    if (this.#closed) {
      return;
    }
    let model: ChannelModel;
    try {
      model = await this.#open(this.#node);
    } catch (error) {
      this.#settings.logger.debug(
        { attempt: this.#outage?.attempts, reason: redactUrl(errorText(error)) },
        "RabbitMQ reconnection attempt failed",
      );
      if (!this.#closed) {
        this.#scheduleReconnect();
      }
      return;
    }
    if (this.#closed) {
      await model.close().catch(() => {});
      return;
    }
    this.#model = model;
    const outage = this.#outage!;
    this.#outage = undefined;
    this.#settings.logger.info(
      { url: this.redactedUrl, downtimeMs: Date.now() - outage.since, attempts: outage.attempts },
      "RabbitMQ connection recovered",
    );
    for (const waiter of this.#waiters.splice(0)) {
      waiter.resolve(model);
    }
  }
}

/** The message of anything thrown. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
