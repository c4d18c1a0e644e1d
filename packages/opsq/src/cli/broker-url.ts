/**
 * The broker URLs given on the command line (`--broker-url`, repeated or comma-separated) or in
 * `RABBITMQ_URLS` / `RABBITMQ_URL`: their syntax check, so that a bad URL is a bad argument (exit
 * 2) found before anything connects rather than a failed connection (3), and how they reach the
 * broker the modules build (through the environment, set before the modules are imported).
 *
 * @module
 */
import { splitBrokerUrls } from "../brokers/rabbitmq/broker-urls.js";
import { CliError, ExitCode } from "./exit-codes.js";

/**
 * Returns `url` when it is an `amqp://` or `amqps://` URL.
 *
 * @param source what the URL came from, for the message (`--broker-url`, `RABBITMQ_URL`)
 * @throws CliError with exit code 2 otherwise; the message never quotes the URL (it may hold a password)
 */
export function checkBrokerUrl(url: string, source: string): string {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new CliError(
      `${source} is not a valid URL: expected amqp://host:5672/vhost, with any user name and password percent-encoded (%2F for a slash, %40 for an at sign, %3A for a colon, %2C for a comma, %20 for a space)`,
      ExitCode.IMPORT_ERROR,
    );
  }
  if (protocol !== "amqp:" && protocol !== "amqps:") {
    throw new CliError(
      `${source} must start with amqp:// or amqps://, not ${protocol}//`,
      ExitCode.IMPORT_ERROR,
    );
  }
  return url;
}

/**
 * Checks a comma-separated list of URLs (the nodes of one cluster) and returns it normalised
 * (trimmed items, comma-separated).
 *
 * @param source what the list came from, for the message (`--broker-url`, `RABBITMQ_URLS`)
 * @throws CliError with exit code 2 when the list is empty or one URL is bad (named by its
 *   position, never quoted)
 */
export function checkBrokerUrls(list: string, source: string): string {
  const urls = splitBrokerUrls(list);
  if (urls.length === 0) {
    throw new CliError(`${source} holds no URL`, ExitCode.IMPORT_ERROR);
  }
  for (const [index, url] of urls.entries()) {
    checkBrokerUrl(url, urls.length === 1 ? source : `${source} (URL ${index + 1} of ${urls.length})`);
  }
  return urls.join(",");
}

/**
 * The commander parser of a repeatable `--broker-url`: each value may itself be a comma-separated
 * list; the values accumulate into one comma-separated list.
 */
export function brokerUrlsArgument(value: string, previous: string | undefined): string {
  const checked = checkBrokerUrls(value, "--broker-url");
  return previous === undefined ? checked : `${previous},${checked}`;
}

/**
 * Hands `--broker-url` to the broker the modules build: `RABBITMQ_URLS` gets the whole list (it
 * takes precedence over `RABBITMQ_URL` in `RabbitmqBroker`), and `RABBITMQ_URL` the first URL, for
 * code that reads it itself. Without the flag, checks what the environment holds.
 *
 * @param list the comma-separated `--broker-url` value, if given
 * @throws CliError with exit code 2 when the environment holds a bad URL
 */
export function applyBrokerUrls(list: string | undefined): void {
  if (list !== undefined) {
    const urls = splitBrokerUrls(list);
    process.env.RABBITMQ_URLS = urls.join(",");
    process.env.RABBITMQ_URL = urls[0]!;
    return;
  }
  if (process.env.RABBITMQ_URLS?.trim()) {
    checkBrokerUrls(process.env.RABBITMQ_URLS, "RABBITMQ_URLS");
  } else if (process.env.RABBITMQ_URL) {
    checkBrokerUrl(process.env.RABBITMQ_URL, "RABBITMQ_URL");
  }
}
