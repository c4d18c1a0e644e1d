/**
 * RabbitMQ's management API, when its plugin is enabled: a probe, and the queues of a vhost
 * with their counts and rates. Credentials are the broker URL's; every request is bounded.
 *
 * @module
 */

/** One queue as the management API lists it (only the fields the dashboard uses). */
export interface ManagementQueue {
  /** Queue name. */
  name: string;
  /** Ready messages. */
  ready: number;
  /** Delivered, not acked. */
  unacked: number;
  /** Consumers. */
  consumers: number;
  /** Published per second (RabbitMQ's own rate), when it has one. */
  publishPerSec: number | undefined;
  /** Delivered (and got) per second, when it has one. */
  deliverPerSec: number | undefined;
}

/** A client of the management API of one vhost. */
export class ManagementApi {
  /** The base URL, without credentials. */
  readonly baseUrl: string;
  readonly #authorization: string;
  readonly #vhost: string;
  readonly #timeoutMs: number;

  /**
   * @param baseUrl e.g. `http://127.0.0.1:15672`
   * @param credentials user and password (the broker URL's)
   * @param vhost the broker URL's vhost
   */
  constructor(
    baseUrl: string,
    credentials: { username: string; password: string },
    vhost: string,
    timeoutMs = 2_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    this.#vhost = vhost;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * The management API of the broker at `amqpUrl` (same host, port 15672, same credentials), or
   * the one at `managementUrl` when given.
   */
  static forBroker(amqpUrl: string, managementUrl?: string): ManagementApi {
    const amqp = new URL(amqpUrl);
    const username = decodeURIComponent(amqp.username || "guest");
    const password = decodeURIComponent(amqp.password || "guest");
    const vhost = amqp.pathname.length > 1 ? decodeURIComponent(amqp.pathname.slice(1)) : "/";
    const base = managementUrl ?? `http://${amqp.hostname}:15672`;
    return new ManagementApi(base, { username, password }, vhost);
  }

  /** True when the API answers with these credentials. Never throws. */
  async probe(): Promise<boolean> {
    try {
      await this.#get("/api/overview");
      return true;
    } catch {
      return false;
    }
  }

  /** The queues of the vhost. */
  async queues(): Promise<ManagementQueue[]> {
    const columns =
      "name,messages_ready,messages_unacknowledged,consumers,message_stats.publish_details.rate,message_stats.deliver_get_details.rate";
    const rows = (await this.#get(
      `/api/queues/${encodeURIComponent(this.#vhost)}?columns=${columns}`,
    )) as Record<string, unknown>[];
    return rows.map((row) => {
      const stats = (row.message_stats ?? {}) as Record<string, { rate?: unknown } | undefined>;
      return {
        name: String(row.name),
        ready: Number(row.messages_ready ?? 0),
        unacked: Number(row.messages_unacknowledged ?? 0),
        consumers: Number(row.consumers ?? 0),
        publishPerSec: numberOr(stats.publish_details?.rate),
        deliverPerSec: numberOr(stats.deliver_get_details?.rate),
      };
    });
  }

  async #get(path: string): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: this.#authorization, accept: "application/json" },
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (!response.ok) {
      throw new Error(`management API ${path}: HTTP ${response.status}`);
    }
    return response.json();
  }
}

function numberOr(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
