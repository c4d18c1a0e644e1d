/**
 * The syntax check of a broker URL given on the command line or in `RABBITMQ_URL`: a bad URL is
 * a bad argument (exit 2), found before anything connects, rather than a failed connection (3).
 *
 * @module
 */
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
      `${source} is not a valid URL: expected amqp://host:5672/vhost, with any user name and password percent-encoded (%2F for a slash, %40 for an at sign, %3A for a colon, %20 for a space)`,
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
