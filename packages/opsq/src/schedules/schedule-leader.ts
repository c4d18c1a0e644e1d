/**
 * One schedule's leader election and ticking, on RabbitMQ.
 *
 * Every worker running the schedule consumes its leader queue `opsq.schedule.<name>`, declared
 * with `x-single-active-consumer`: RabbitMQ delivers to one consumer only, and when that
 * consumer's channel closes (its process died, even by SIGKILL) it promotes another. The queue
 * holds one message, the schedule's state (the last tick enqueued); the active consumer holds
 * it unacked, which is how it knows it leads. For each tick the leader, in one AMQP
 * transaction, publishes the tick's message, publishes the new state, and acks the old one: a
 * leader that dies before the commit leaves the old state to the next leader and no message;
 * after it, both. So a leader change neither repeats nor skips a tick (beyond the missed policy).
 *
 * @module
 */
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { Cron } from "croner";
import type { RabbitmqConnection } from "../brokers/rabbitmq/connection.js";
import type { Logger } from "../logger.js";
import type { MissedPolicy } from "./missed-policy.js";
import { ticksOwed } from "./missed-policy.js";
import type { Schedule } from "./schedule.js";
import {
  decodeState,
  encodeState,
  lastQueueName,
  leaderQueueName,
  type ScheduleState,
} from "./schedule-state.js";
import { tickMessage } from "./tick-message.js";

// AMQP 0-9-1 method ids of tx.select and tx.commit (and their -ok), as amqplib's defs number them.
const TX_SELECT = 5898250;
const TX_SELECT_OK = 5898251;
const TX_COMMIT = 5898260;
const TX_COMMIT_OK = 5898261;

/** The argument table of the leader queue: one active consumer, one ready message kept (the newest). */
export const LEADER_QUEUE_ARGUMENTS = {
  "x-queue-type": "classic",
  "x-single-active-consumer": true,
  "x-max-length": 1,
  "x-overflow": "drop-head",
} as const;

/** The argument table of the `.last` queue: the newest state only. */
export const LAST_QUEUE_ARGUMENTS = {
  "x-queue-type": "classic",
  "x-max-length": 1,
  "x-overflow": "drop-head",
} as const;

/** An AMQP channel with amqplib's RPC method (every amqplib channel has it). */
interface RpcChannel {
  rpc(method: number, fields: object, expect: number): Promise<unknown>;
}

/**
 * What a leader runs: a name, an expression, a policy, and the enqueue of one tick. Either
 * `enqueue` publishes on `channel` (inside the leader's transaction: committed with the state,
 * or not at all), or it does its own idempotent work keyed by the tick (e.g. a task id derived
 * from it) before the state is committed, so a new leader that repeats it changes nothing.
 */
export interface ScheduledJob {
  /** Unique per RabbitMQ virtual host; names the leader queue. */
  readonly name: string;
  /** The parsed expression. */
  readonly pattern: Cron;
  /** The policy for missed ticks. */
  readonly missed: MissedPolicy;
  /** Enqueues the tick at `tick`; @returns the id of what was enqueued */
  enqueue(tick: Date, channel: Channel): string | Promise<string>;
}

/** The job of a {@link Schedule}: its actor's message, published in the leader's transaction. */
export function scheduleJob(schedule: Schedule): ScheduledJob {
  return {
    name: schedule.name,
    pattern: schedule.pattern,
    missed: schedule.missed,
    enqueue(tick, channel) {
      const message = tickMessage(schedule, tick);
      channel.sendToQueue(message.queueName, message.encode(), { persistent: true });
      return message.messageId;
    },
  };
}

/** How late a timer may fire and its tick still count as on time (not missed). */
const ON_TIME_GRACE_MS = 1_000;

/** Runs one schedule: competes for its leadership and, while leading, enqueues its ticks. */
export class ScheduleLeader {
  readonly #schedule: ScheduledJob;
  readonly #connection: RabbitmqConnection;
  readonly #logger: Logger;
  #stopped = false;
  #channel: Channel | undefined;
  #held: ConsumeMessage | undefined;
  #state: ScheduleState | undefined;
  #timer: NodeJS.Timeout | undefined;
  #work: Promise<void> = Promise.resolve();
  #running: Promise<void> | undefined;
  #leading = false;

  /** @param schedule what to run; @param connection the scheduler's own connection */
  constructor(schedule: ScheduledJob, connection: RabbitmqConnection, logger: Logger) {
    this.#schedule = schedule;
    this.#connection = connection;
    this.#logger = logger.child({ schedule: schedule.name });
  }

  /** True while this process leads the schedule. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Joins the election, and keeps rejoining after a lost connection, until {@link stop}. */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** Leaves the election: the channel closes, and the state goes back to the queue for the next leader. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#work.catch(() => {});
    await this.#channel?.close().catch(() => {});
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let model: ChannelModel;
      try {
        model = await this.#connection.ready();
      } catch {
        return; // closed
      }
      try {
        await this.#session(model);
      } catch (error) {
        if (!this.#stopped) {
          this.#logger.warn({ err: error }, "schedule leader channel failed; rejoining");
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    }
  }

  // One channel's life: declare, consume, then wait until it closes.
  async #session(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    this.#channel = channel;
    const closed = new Promise<void>((resolve) => channel.once("close", () => resolve()));
    channel.on("error", () => {});
    try {
      const name = this.#schedule.name;
      const leaderQueue = leaderQueueName(name);
      const declared = await channel.assertQueue(leaderQueue, {
        durable: true,
        arguments: { ...LEADER_QUEUE_ARGUMENTS },
      });
      await channel.assertQueue(lastQueueName(name), {
        durable: true,
        arguments: { ...LAST_QUEUE_ARGUMENTS },
      });
      if (declared.messageCount === 0 && declared.consumerCount === 0) {
        // First run ever (no state, nobody holds it): seed the state. Two seeds racing leave one (max-length 1).
        const seed: ScheduleState = { v: 1, schedule: name, lastTickMs: Date.now() };
        channel.sendToQueue(leaderQueue, encodeState(seed), { persistent: true });
      }
      await (channel as unknown as RpcChannel).rpc(TX_SELECT, {}, TX_SELECT_OK);
      await channel.prefetch(1);
      if (this.#stopped) {
        await channel.close();
        return;
      }
      await channel.consume(leaderQueue, (delivery) => this.#onDelivery(channel, delivery), { noAck: false });
      await closed;
    } finally {
      this.#lose();
    }
  }

  #onDelivery(channel: Channel, delivery: ConsumeMessage | null): void {
    if (this.#stopped) {
      return; // stopping: the state stays unacked until the channel closes, then goes to the next leader
    }
    if (delivery === null) {
      // Cancelled by the server (the queue was deleted): a new channel declares it again and rejoins.
      void channel.close().catch(() => {});
      return;
    }
    const state = decodeState(delivery.content);
    if (state === undefined) {
      this.#logger.warn("dropping an unreadable state message from the leader queue");
      // Acked in the transaction of the next tick or this commit; nothing else is pending.
      channel.ack(delivery);
      void (channel as unknown as RpcChannel).rpc(TX_COMMIT, {}, TX_COMMIT_OK).catch(() => {});
      return;
    }
    if (!this.#leading) {
      this.#leading = true;
      this.#logger.info({ lastTick: new Date(state.lastTickMs).toISOString() }, "schedule leader elected");
    }
    this.#held = delivery;
    // A later state already known (this leader's own commit) wins over an older one.
    if (this.#state === undefined || state.lastTickMs >= this.#state.lastTickMs) {
      this.#state = state;
    }
    this.#enqueueWork(channel);
  }

  #enqueueWork(channel: Channel): void {
    this.#work = this.#work
      .then(() => this.#tick(channel))
      .catch((error: unknown) => {
        this.#logger.warn({ err: error }, "schedule tick failed; the channel is reopened");
        void channel.close().catch(() => {});
      });
  }

  // Enqueues the ticks owed now (in one transaction), then sets the timer to the next tick.
  async #tick(channel: Channel): Promise<void> {
    const held = this.#held;
    const state = this.#state;
    if (this.#stopped || held === undefined || state === undefined || channel !== this.#channel) {
      return;
    }
    const nowMs = Date.now();
    const ticks = ticksOwed(
      this.#schedule.pattern,
      state.lastTickMs,
      nowMs,
      this.#schedule.missed,
      ON_TIME_GRACE_MS,
    );
    // Skipped ticks still move the state on, so they are not owed again.
    const lastDueMs = this.#schedule.pattern.previousRuns(1, new Date(nowMs + 1))[0]?.getTime() ?? 0;
    const lastTickMs = Math.max(state.lastTickMs, lastDueMs, ...ticks.map((tick) => tick.getTime()));
    if (lastTickMs > state.lastTickMs) {
      const name = this.#schedule.name;
      let next: ScheduleState = { ...state, lastTickMs };
      for (const tick of ticks) {
        const messageId = await this.#schedule.enqueue(tick, channel);
        next = { v: 1, schedule: name, lastTickMs, enqueuedAtMs: nowMs, messageId };
      }
      const body = encodeState(next);
      channel.sendToQueue(leaderQueueName(name), body, { persistent: true });
      channel.sendToQueue(lastQueueName(name), body, { persistent: true });
      channel.ack(held);
      this.#held = undefined;
      await (channel as unknown as RpcChannel).rpc(TX_COMMIT, {}, TX_COMMIT_OK);
      this.#state = next;
      if (ticks.length > 0) {
        this.#logger.debug({ ticks: ticks.map((tick) => tick.toISOString()) }, "schedule ticks enqueued");
      } else {
        this.#logger.info({ upTo: new Date(lastTickMs).toISOString() }, "missed schedule ticks skipped");
      }
    }
    this.#arm(channel);
  }

  // Sets the timer to the schedule's next tick; its work waits for the state if it is in flight.
  #arm(channel: Channel): void {
    clearTimeout(this.#timer);
    const state = this.#state;
    if (this.#stopped || state === undefined) {
      return;
    }
    const next = this.#schedule.pattern.nextRun(new Date(Math.max(state.lastTickMs, Date.now())));
    if (next === null) {
      return;
    }
    // A few ms late rather than early: the tick is then certainly due.
    const delayMs = Math.min(Math.max(0, next.getTime() - Date.now() + 5), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.#enqueueWork(channel), delayMs);
  }

  #lose(): void {
    clearTimeout(this.#timer);
    if (this.#leading) {
      this.#logger.info("schedule leadership released");
    }
    this.#leading = false;
    this.#held = undefined;
    this.#state = undefined;
    this.#channel = undefined;
  }
}
