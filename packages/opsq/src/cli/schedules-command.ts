/**
 * `opsq schedules <module…>`: lists the schedules the modules define, with their next runs and
 * their last enqueue (read from RabbitMQ). Loaded by the CLI only when it runs.
 *
 * @module
 */

import { redactUrl } from "../logger.js";
import { readLastState } from "../schedules/last-state-reader.js";
import { schedulesOf } from "../schedules/registry.js";
import { describeSchedule, formatListings, type ScheduleListing } from "../schedules/schedule-listing.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { loadModules } from "./load-modules.js";
import { DEFAULT_BROKER_URL } from "./run-worker.js";

/** Options of `opsq schedules`. */
export interface SchedulesCliOptions {
  /** Modules defining the schedules. */
  modules: string[];
  /** RabbitMQ URL. @default $RABBITMQ_URL, else the local one */
  brokerUrl?: string;
  /** Print JSON. */
  json: boolean;
  /** How long connecting may take, in ms. @default 5000 */
  connectTimeoutMs?: number;
}

/** Where the command writes, and where modules are resolved from. */
export interface SchedulesIo {
  cwd: string;
  writeOut: (text: string) => void;
}

/**
 * Prints the schedules of the modules.
 *
 * @throws CliError exit 2 when a module fails to load, 3 when RabbitMQ cannot be reached
 */
export async function runSchedules(options: SchedulesCliOptions, io: SchedulesIo): Promise<number> {
  if (options.brokerUrl !== undefined) {
    process.env.RABBITMQ_URL = options.brokerUrl;
  }
  process.env.OPSQ_LOG_LEVEL ??= "warn";
  const { broker } = await loadModules(options.modules, io.cwd);
  const schedules = schedulesOf(broker);
  const url = options.brokerUrl ?? process.env.RABBITMQ_URL ?? DEFAULT_BROKER_URL;
  const amqp = await import("amqplib");
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  let model: Awaited<ReturnType<typeof amqp.connect>>;
  try {
    model = await amqp.connect(url, {
      timeout: timeoutMs,
      clientProperties: { connection_name: "opsq-cli" },
    });
  } catch (error) {
    const reason = redactUrl(error instanceof Error ? error.message : String(error));
    throw new CliError(`cannot connect to RabbitMQ at ${redactUrl(url)}: ${reason}`, ExitCode.CONNECT_ERROR, {
      cause: error,
    });
  }
  model.on("error", () => {});
  try {
    const nowMs = Date.now();
    const listings: ScheduleListing[] = [];
    for (const schedule of schedules) {
      listings.push(describeSchedule(schedule, await readLastState(model, schedule.name), nowMs));
    }
    io.writeOut(options.json ? `${JSON.stringify(listings, null, 2)}\n` : formatListings(listings));
    return ExitCode.OK;
  } finally {
    await model.close().catch(() => {});
  }
}
