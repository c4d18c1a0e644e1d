/**
 * The URLs of the RabbitMQ nodes a broker may connect to: one node, or several nodes of a
 * cluster, tried in a shuffled order so that many processes spread over the nodes.
 *
 * @module
 */

/** The URL used when no option and no environment variable names one. */
export const DEFAULT_RABBITMQ_URL = "amqp://guest:guest@localhost:5672";

/** Where the URLs may come from, highest precedence first. */
export interface BrokerUrlSources {
  /** The `urls` option: several nodes of one cluster. */
  readonly urls?: readonly string[] | undefined;
  /** The `url` option: one node. */
  readonly url?: string | undefined;
  /** The environment: `RABBITMQ_URLS` (comma-separated), then `RABBITMQ_URL`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Splits a comma-separated list of URLs (`RABBITMQ_URLS`, a `--broker-url a,b`), trimming
 * white space and dropping empty items. A comma inside a password must be percent-encoded (`%2C`).
 */
export function splitBrokerUrls(list: string): string[] {
  return list
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
}

/**
 * The URLs to connect to: the `urls` option, else the `url` option, else `RABBITMQ_URLS`, else
 * `RABBITMQ_URL`, else {@link DEFAULT_RABBITMQ_URL}.
 *
 * @throws RangeError when `urls` is given empty, or holds something that is not a non-empty string
 */
export function resolveBrokerUrls(sources: BrokerUrlSources): string[] {
  if (sources.urls !== undefined) {
    if (!Array.isArray(sources.urls) || sources.urls.length === 0) {
      throw new RangeError("urls must be a non-empty array of amqp:// or amqps:// URLs");
    }
    for (const url of sources.urls) {
      if (typeof url !== "string" || url.trim() === "") {
        throw new RangeError("urls must hold only non-empty strings (amqp:// or amqps:// URLs)");
      }
    }
    return sources.urls.map((url) => url.trim());
  }
  if (sources.url !== undefined) {
    return [sources.url];
  }
  const env = sources.env ?? {};
  const list = splitBrokerUrls(env.RABBITMQ_URLS ?? "");
  if (list.length > 0) {
    return list;
  }
  return [env.RABBITMQ_URL || DEFAULT_RABBITMQ_URL];
}

/**
 * A copy of `items` in a random order (Fisher–Yates).
 *
 * @param random a source of numbers in [0, 1), for tests
 */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
