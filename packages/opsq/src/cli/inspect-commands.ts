/**
 * `opsq queues` and `opsq dead-letters`: look at queue families on RabbitMQ
 * and move dead letters back. Loaded by the CLI only when one of them runs.
 *
 * @module
 */

import { splitBrokerUrls } from "../brokers/rabbitmq/broker-urls.js";
import { callSummary, errorSummary } from "../brokers/rabbitmq/dead-letter-summary.js";
import type { DeadLetter, QueueInspection } from "../brokers/rabbitmq/inspect.js";
// Makes RabbitMQ the global broker of modules loaded by `--module`.
import { RabbitmqBroker } from "../brokers/rabbitmq.js";
import { BrokerError, ConnectionError } from "../errors.js";
import { createLogger } from "../logger.js";
import { qName } from "../queue-names.js";
import { applyBrokerUrls } from "./broker-url.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { loadModules } from "./load-modules.js";

/** Where the commands write, and where modules are resolved from. */
export interface InspectIo {
  cwd: string;
  writeOut: (text: string) => void;
}

/** Options of `opsq queues`. */
export interface QueuesCliOptions {
  names: string[];
  modules: string[];
  brokerUrl?: string;
  json: boolean;
}

/** Options of `opsq dead-letters`. */
export interface DeadLettersCliOptions {
  queue: string;
  limit?: number;
  requeue: boolean;
  json: boolean;
  brokerUrl?: string;
}

/** Prints the counts of each queue family named, or of every queue of the modules' actors. */
export async function runQueues(options: QueuesCliOptions, io: InspectIo): Promise<number> {
  const names = new Set(options.names.map(qName));
  let moduleBroker: RabbitmqBroker | undefined;
  if (options.modules.length > 0) {
    if (options.brokerUrl !== undefined) {
      applyBrokerUrls(options.brokerUrl);
    }
    process.env.OPSQ_LOG_LEVEL ??= "warn";
    const { broker } = await loadModules(options.modules, io.cwd);
    for (const queue of broker.queues) {
      names.add(qName(queue));
    }
    if (broker instanceof RabbitmqBroker && options.brokerUrl === undefined) {
      moduleBroker = broker;
    }
  }
  if (names.size === 0) {
    throw new CliError("name queues, or give --module with actors, to inspect", ExitCode.IMPORT_ERROR);
  }
  const broker = moduleBroker ?? newBroker(options.brokerUrl);
  try {
    const rows: QueueInspection[] = [];
    for (const name of [...names].sort()) {
      rows.push(await broker.inspectQueue(name));
    }
    io.writeOut(options.json ? `${JSON.stringify(rows, null, 2)}\n` : queuesTable(rows));
    return ExitCode.OK;
  } catch (error) {
    throw cliError(error);
  } finally {
    await broker.close().catch(() => {});
  }
}

/** Lists the dead letters of `<queue>.XQ`, or moves them back with `--requeue`. */
export async function runDeadLetters(options: DeadLettersCliOptions, io: InspectIo): Promise<number> {
  const broker = newBroker(options.brokerUrl);
  try {
    if (options.requeue) {
      const result = await broker.requeueDeadLetters(options.queue, { limit: options.limit });
      io.writeOut(
        options.json
          ? `${JSON.stringify(result)}\n`
          : `moved ${result.moved} dead-lettered message(s) from ${result.queue}.XQ back to ${result.queue}\n`,
      );
      return ExitCode.OK;
    }
    const letters = await broker.readDeadLetters(options.queue, { limit: options.limit ?? 100 });
    io.writeOut(
      options.json ? `${JSON.stringify(letters, null, 2)}\n` : deadLettersText(qName(options.queue), letters),
    );
    return ExitCode.OK;
  } catch (error) {
    throw cliError(error);
  } finally {
    await broker.close().catch(() => {});
  }
}

function newBroker(brokerUrl: string | undefined): RabbitmqBroker {
  return new RabbitmqBroker({
    // The flag, else RABBITMQ_URLS, else RABBITMQ_URL, else the default.
    ...(brokerUrl === undefined ? {} : { urls: splitBrokerUrls(brokerUrl) }),
    logger: createLogger({ level: "silent" }),
    connectionName: "opsq-cli",
  });
}

function cliError(error: unknown): unknown {
  if (error instanceof ConnectionError) {
    return new CliError(error.message, ExitCode.CONNECT_ERROR, { cause: error });
  }
  if (error instanceof BrokerError) {
    const code = /does not exist/.test(error.message) ? ExitCode.IMPORT_ERROR : ExitCode.KILLED;
    return new CliError(error.message, code, { cause: error });
  }
  return error;
}

function queuesTable(rows: QueueInspection[]): string {
  const header = ["QUEUE", "READY", "DELAYED", "DEAD-LETTERED", "CONSUMERS", "DQ-CONSUMERS"];
  const cells = rows.map((row) =>
    row.exists
      ? [row.queue, row.ready, row.delayed, row.deadLettered, row.consumers, row.delayConsumers].map(String)
      : [row.queue, "-", "-", "-", "-", "-"],
  );
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: string[]) =>
    line
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  const missing = rows.filter((row) => !row.exists).map((row) => row.queue);
  const note = missing.length > 0 ? `(not declared on RabbitMQ: ${missing.join(", ")})\n` : "";
  return `${[header, ...cells].map(format).join("\n")}\n${note}`;
}

function deadLettersText(queue: string, letters: DeadLetter[]): string {
  if (letters.length === 0) {
    return `no dead-lettered messages in ${queue}.XQ\n`;
  }
  const blocks = letters.map((letter) => {
    const lines = [`${letter.messageId ?? "(no message_id)"}  ${callSummary(letter)}`];
    for (const death of letter.deaths) {
      lines.push(
        `  died: ${death.reason} in ${death.queue} ×${death.count}${death.time ? ` at ${death.time}` : ""}`,
      );
    }
    const error = errorSummary(letter);
    if (error !== undefined) {
      lines.push(`  ${error}`);
    }
    if (typeof letter.options.retries === "number") {
      lines.push(`  retries: ${letter.options.retries}`);
    }
    return lines.join("\n");
  });
  return `${blocks.join("\n")}\n${letters.length} dead-lettered message(s) shown from ${queue}.XQ (they stay there)\n`;
}
