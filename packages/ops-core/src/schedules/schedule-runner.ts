/**
 * Runs the schedules stored in `task_schedule` in an ops-core worker: every worker joins each
 * schedule's election (opsq's schedule leaders: a single-active-consumer queue per schedule), and
 * the leader submits one task per tick through `submitTask`, with a task id derived from the
 * schedule and the tick, so that a tick a new leader repeats is the same task, not a second one.
 * The table is read again every `reloadMs`: added schedules start, removed ones stop.
 * Missed ticks (no worker running) are skipped; the tick that is just due runs.
 * Light: drizzle and the submit path load on the first read and the first tick.
 *
 * @module
 */
import { type Broker, type Logger, type Middleware, type ScheduledJob, Scheduler } from "opsq";
import type { DatabaseHandle } from "../db/client.js";
import { describeError } from "../describe-error.js";
import type { TaskStore } from "../task-store-interface.js";
import { parseCron, scheduledTaskId, type TaskSchedule } from "./task-schedule.js";

/** Options of {@link scheduleRunnerMiddleware}. */
export interface ScheduleRunnerOptions {
  /** AMQP URL (with its password) the leaders use. */
  rabbitmqUrl: string;
  /** Opens the database holding `task_schedule`. */
  openDatabase: () => Promise<DatabaseHandle>;
  /** The task store `submitTask` writes to. */
  store: () => Promise<TaskStore>;
  /** The broker tasks are published through. */
  broker: Broker;
  /** The workers' queue. */
  queue: string;
  /** Time between two reads of the table. @default 30000 */
  reloadMs?: number;
  logger: Logger;
}

/** The leader-queue name of a stored schedule. */
export function storedScheduleJobName(scheduleId: string): string {
  return `ops-core.${scheduleId}`;
}

/** The middleware running the stored schedules while the worker consumes. */
export function scheduleRunnerMiddleware(options: ScheduleRunnerOptions): Middleware {
  const { logger } = options;
  const scheduler = new Scheduler([], { url: options.rabbitmqUrl, logger });
  let handle: DatabaseHandle | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reloading: Promise<void> = Promise.resolve();

  const job = (row: TaskSchedule): ScheduledJob => ({
    name: storedScheduleJobName(row.scheduleId),
    pattern: parseCron(row.cron, row.timezone),
    missed: "skip",
    async enqueue(tick) {
      const [{ submitTask }, { AGENT_TASK_TYPE }] = await Promise.all([
        import("../submit-task.js"),
        import("../agent-task-input.js"),
      ]);
      const task = await submitTask(
        {
          taskType: AGENT_TASK_TYPE,
          inputData: { goal: row.goal },
          name: row.name,
          taskId: scheduledTaskId(row.scheduleId, tick),
        },
        { store: await options.store(), broker: options.broker, queue: options.queue },
      );
      return task.taskId;
    },
  });

  const reload = async (): Promise<void> => {
    try {
      handle ??= await options.openDatabase();
      const { ScheduleStore } = await import("./schedule-store.js");
      const rows = await new ScheduleStore(handle).list();
      const wanted = new Map(rows.map((row) => [storedScheduleJobName(row.scheduleId), row]));
      for (const name of scheduler.names) {
        if (!wanted.has(name)) await scheduler.remove(name);
      }
      for (const [name, row] of wanted) {
        if (scheduler.names.includes(name)) continue;
        try {
          scheduler.add(job(row));
        } catch (error) {
          logger.warn({ schedule: row.scheduleId, reason: describeError(error) }, "stored schedule not run");
        }
      }
    } catch (error) {
      logger.warn({ reason: describeError(error) }, "could not read the stored schedules; retrying later");
    }
  };

  return {
    name: "OpsCoreScheduleRunner",
    // Not awaited: the worker is ready (and consumes) without waiting for the schedules' own
    // connection and the first read of task_schedule; shutdown waits for both.
    afterWorkerBoot: () => {
      let started = false;
      reloading = scheduler.start(options.broker).then(
        () => {
          started = true;
          return reload();
        },
        (error: unknown) => {
          logger.error({ reason: describeError(error) }, "the stored schedules are not running");
        },
      );
      timer = setInterval(() => {
        reloading = reloading.then(() => (started ? reload() : undefined));
      }, options.reloadMs ?? 30_000);
      timer.unref();
    },
    beforeWorkerShutdown: async () => {
      clearInterval(timer);
      await reloading;
      await scheduler.stop();
      await handle?.close();
    },
  };
}
