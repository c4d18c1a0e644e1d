/**
 * Runs schedules while a worker consumes: one {@link ScheduleLeader} per schedule, on a RabbitMQ
 * connection of the scheduler's own (so ticks never wait behind the worker's publishing).
 * `opsq worker` runs the schedules its modules define; an application may add its own jobs
 * (ops-core runs the schedules stored in PostgreSQL this way).
 *
 * @module
 */

import type { Broker } from "../broker.js";
import { splitBrokerUrls } from "../brokers/rabbitmq/broker-urls.js";
import { RabbitmqConnection } from "../brokers/rabbitmq/connection.js";
import type { Logger } from "../logger.js";
import type { Schedule } from "./schedule.js";
import { type ScheduledJob, ScheduleLeader, scheduleJob } from "./schedule-leader.js";

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** AMQP URL of the RabbitMQ the schedules are elected and enqueued on. */
  url: string;
  /** @default the broker's logger, else opsq's */
  logger?: Logger;
}

/** Runs a set of schedules and jobs while a worker consumes. */
export class Scheduler {
  readonly #schedules: readonly Schedule[];
  readonly #url: string;
  #logger: Logger | undefined;
  #connection: RabbitmqConnection | undefined;
  readonly #leaders = new Map<string, ScheduleLeader>();

  /** @param schedules schedules defined with `defineSchedule`; @param options where */
  constructor(schedules: readonly Schedule[], options: SchedulerOptions) {
    this.#schedules = schedules;
    this.#url = options.url;
    this.#logger = options.logger;
  }

  /** The names of the schedules and jobs this process leads now. */
  get leading(): string[] {
    return [...this.#leaders].filter(([, leader]) => leader.leading).map(([name]) => name);
  }

  /** The names of the schedules and jobs running (leading or waiting to). */
  get names(): string[] {
    return [...this.#leaders.keys()];
  }

  /**
   * Declares the queues of the schedules' actors (through `broker`), connects, then joins each
   * schedule's election.
   *
   * @throws the connection's error when RabbitMQ cannot be reached
   */
  async start(broker: Broker): Promise<void> {
    this.#logger = (this.#logger ?? broker.logger).child({ component: "scheduler" });
    const declarer = broker as { declareQueueOnServer?: (queue: string) => Promise<void> };
    for (const queue of new Set(this.#schedules.map((schedule) => schedule.actor.queueName))) {
      await declarer.declareQueueOnServer?.(queue);
    }
    this.#connection = new RabbitmqConnection({
      urls: splitBrokerUrls(this.#url),
      heartbeatSeconds: 5,
      socketOptions: {},
      connectionName: "opsq-scheduler",
      reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 },
      logger: this.#logger,
    });
    await this.#connection.ready();
    for (const schedule of this.#schedules) {
      this.add(scheduleJob(schedule));
    }
  }

  /**
   * Joins the election of one more job (after {@link start}).
   *
   * @throws Error before start, or when a job of that name runs already
   */
  add(job: ScheduledJob): void {
    if (this.#connection === undefined || this.#logger === undefined) {
      throw new Error("the scheduler is not started");
    }
    if (this.#leaders.has(job.name)) {
      throw new Error(`schedule "${job.name}" runs already`);
    }
    const leader = new ScheduleLeader(job, this.#connection, this.#logger);
    this.#leaders.set(job.name, leader);
    leader.start();
  }

  /** Leaves the election of a job (another process may lead it still). */
  async remove(name: string): Promise<void> {
    const leader = this.#leaders.get(name);
    this.#leaders.delete(name);
    await leader?.stop();
  }

  /**
   * Leaves every election (the next leader takes over at once) and closes the connection.
   * Waits at most `timeoutMs` for the leaders (a tick being committed), then closes anyway.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    const leaders = [...this.#leaders.values()];
    this.#leaders.clear();
    await Promise.race([Promise.all(leaders.map((leader) => leader.stop())), expired]);
    clearTimeout(timer);
    await this.#connection?.close();
  }
}
