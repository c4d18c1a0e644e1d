/**
 * Runs the schedules of a worker's modules: one {@link ScheduleLeader} per schedule, on a
 * RabbitMQ connection of the scheduler's own (so ticks never wait behind the worker's publishing).
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { RabbitmqConnection } from "../brokers/rabbitmq/connection.js";
import type { Logger } from "../logger.js";
import type { Schedule } from "./schedule.js";
import { ScheduleLeader } from "./schedule-leader.js";

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** AMQP URL of the RabbitMQ the schedules are elected and enqueued on. */
  url: string;
  /** @default the broker's logger */
  logger?: Logger;
}

/** Runs a set of schedules while a worker consumes. */
export class Scheduler {
  readonly #schedules: readonly Schedule[];
  readonly #url: string;
  readonly #logger: Logger | undefined;
  #connection: RabbitmqConnection | undefined;
  #leaders: ScheduleLeader[] = [];

  /** @param schedules what to run; @param options where */
  constructor(schedules: readonly Schedule[], options: SchedulerOptions) {
    this.#schedules = schedules;
    this.#url = options.url;
    this.#logger = options.logger;
  }

  /** The schedules this process leads now. */
  get leading(): string[] {
    return this.#schedules
      .filter((_schedule, i) => this.#leaders[i]?.leading === true)
      .map(({ name }) => name);
  }

  /**
   * Declares the queues of the schedules' actors, then joins each schedule's election.
   *
   * @param broker the broker of the schedules' actors (its queues are declared through it)
   */
  async start(broker: Broker): Promise<void> {
    const logger = (this.#logger ?? broker.logger).child({ component: "scheduler" });
    const declarer = broker as { declareQueueOnServer?: (queue: string) => Promise<void> };
    for (const queue of new Set(this.#schedules.map((schedule) => schedule.actor.queueName))) {
      await declarer.declareQueueOnServer?.(queue);
    }
    this.#connection = new RabbitmqConnection({
      url: this.#url,
      heartbeatSeconds: 5,
      socketOptions: {},
      connectionName: "opsq-scheduler",
      reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 },
      logger,
    });
    await this.#connection.ready();
    this.#leaders = this.#schedules.map(
      (schedule) => new ScheduleLeader(schedule, this.#connection!, logger),
    );
    for (const leader of this.#leaders) {
      leader.start();
    }
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
    await Promise.race([Promise.all(this.#leaders.map((leader) => leader.stop())), expired]);
    clearTimeout(timer);
    await this.#connection?.close();
  }
}
