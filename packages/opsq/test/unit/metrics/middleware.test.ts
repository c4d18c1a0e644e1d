import { register as globalRegistry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { Retry, SkipMessage } from "../../../src/errors.js";
import { Message } from "../../../src/message.js";
import { MessageProxy } from "../../../src/message-proxy.js";
import {
  DEFAULT_DURATION_BUCKETS_MS,
  Prometheus,
  type PrometheusOptions,
} from "../../../src/metrics/middleware.js";
import type { Middleware } from "../../../src/middleware/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import { type Deferred, deferred, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) {
    cleanup();
  }
  await pool.stopAll();
});

const Q = { queue_name: "default" } as const;
const DQ = { queue_name: "default.DQ" } as const;

/** The value of one series of the registry (a histogram's `_count`, `_sum` or `_bucket` by `series`). */
async function seriesValue(
  prometheus: Prometheus,
  name: string,
  labels: Record<string, string | number>,
  series = name,
): Promise<number | undefined> {
  const metric = (await prometheus.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const found = metric?.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === series &&
      Object.keys(labels).length === Object.keys(v.labels).length &&
      Object.entries(labels).every(([key, value]) => v.labels[key] === value),
  );
  return found?.value;
}

/** Counters, gauges and the duration count of one actor's series on `default` (retries on `default.DQ`). */
async function snapshot(prometheus: Prometheus, actor: string) {
  const q = { ...Q, actor_name: actor };
  const dq = { ...DQ, actor_name: actor };
  return {
    messages: await seriesValue(prometheus, "dramatiq_messages_total", q),
    errors: await seriesValue(prometheus, "dramatiq_message_errors_total", q),
    retries: await seriesValue(prometheus, "dramatiq_message_retries_total", dq),
    rejects: await seriesValue(prometheus, "dramatiq_message_rejects_total", q),
    inProgress: await seriesValue(prometheus, "dramatiq_messages_inprogress", q),
    delayed: await seriesValue(prometheus, "dramatiq_delayed_messages_inprogress", dq),
    durations: await seriesValue(
      prometheus,
      "dramatiq_message_duration_milliseconds",
      q,
      "dramatiq_message_duration_milliseconds_count",
    ),
  };
}

/** A StubBroker with `middleware`, Retries (1–5 ms backoffs) and a Prometheus, in the order given. */
function brokerWith(
  order: "prometheus-last" | "prometheus-first" = "prometheus-last",
  extra: Middleware[] = [],
) {
  const prometheus = new Prometheus();
  const retries = new Retries({ minBackoffMs: 1, maxBackoffMs: 5 });
  const middleware =
    order === "prometheus-last" ? [...extra, retries, prometheus] : [prometheus, ...extra, retries];
  return { broker: new StubBroker({ middleware, logger: quietLogger() }), prometheus };
}

/** A middleware that resolves `held` when the worker starts holding a delayed message. */
function delayWatcher(): { watcher: Middleware; held: Deferred<string> } {
  const held = deferred<string>();
  return { watcher: { beforeDelayMessage: (_b, proxy) => held.resolve(proxy.messageId) }, held };
}

async function drain(broker: StubBroker, worker: { join(): Promise<void> }): Promise<void> {
  await broker.join("default");
  await worker.join();
}

describe("Prometheus: the metrics", () => {
  it("registers Dramatiq's seven metrics, with their types and labels, in its own registry", async () => {
    const prometheus = new Prometheus();

    const metrics = prometheus.registry.getMetricsAsArray().map((m) => [m.name, String(m.type)]);

    expect(metrics.sort()).toEqual(
      [
        ["dramatiq_delayed_messages_inprogress", "gauge"],
        ["dramatiq_message_duration_milliseconds", "histogram"],
        ["dramatiq_message_errors_total", "counter"],
        ["dramatiq_message_rejects_total", "counter"],
        ["dramatiq_message_retries_total", "counter"],
        ["dramatiq_messages_inprogress", "gauge"],
        ["dramatiq_messages_total", "counter"],
      ].sort(),
    );
    expect(prometheus.registry).not.toBe(globalRegistry);
    expect(globalRegistry.getSingleMetric("dramatiq_messages_total")).toBeUndefined();
    // A second instance has its own registry: no "already registered" clash.
    expect(new Prometheus().registry).not.toBe(prometheus.registry);
  });

  it("names the metrics with the prefix given, or none", () => {
    const names = (options: PrometheusOptions) =>
      new Prometheus(options).registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .sort();

    expect(names({ prefix: "opsq_" })).toContain("opsq_messages_total");
    expect(names({ prefix: "" })).toEqual([
      "delayed_messages_inprogress",
      "message_duration_milliseconds",
      "message_errors_total",
      "message_rejects_total",
      "message_retries_total",
      "messages_inprogress",
      "messages_total",
    ]);
  });

  it("rejects a prefix or buckets Prometheus cannot take, in one line", () => {
    expect(() => new Prometheus({ prefix: "9lives_" })).toThrow(
      /^invalid metric prefix "9lives_": use letters, digits, "_" and ":", not starting with a digit$/,
    );
    expect(() => new Prometheus({ prefix: "my-app_" })).toThrow(/invalid metric prefix "my-app_"/);
    expect(() => new Prometheus({ durationBucketsMs: [10, 5] })).toThrow(
      "invalid durationBucketsMs [10, 5]: give finite numbers in increasing order",
    );
    expect(() => new Prometheus({ durationBucketsMs: [] })).toThrow(/invalid durationBucketsMs \[\]/);
  });

  it("uses Dramatiq's duration buckets by default, or the ones given", async () => {
    // Given two instances that each timed one attempt
    const bucketsOf = async (prometheus: Prometheus) => {
      const proxy = new MessageProxy(
        new Message({ queueName: "default", actorName: "a", args: [] }),
        false,
        quietLogger(),
      );
      const broker = new StubBroker({ middleware: [], logger: quietLogger() });
      prometheus.beforeProcessMessage(broker, proxy);
      prometheus.afterProcessMessage(broker, proxy, { result: 1 });
      const metric = (await prometheus.registry.getMetricsAsJSON()).find(
        (m) => m.name === "dramatiq_message_duration_milliseconds",
      );
      return metric!.values
        .filter((v) => (v as { metricName?: string }).metricName?.endsWith("_bucket"))
        .map((v) => v.labels.le);
    };

    // Then I expect Dramatiq's bucket bounds (and +Inf), or the custom ones
    expect(await bucketsOf(new Prometheus())).toEqual([...DEFAULT_DURATION_BUCKETS_MS, "+Inf"]);
    expect(DEFAULT_DURATION_BUCKETS_MS).toEqual([
      5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000, 30000, 60000, 600000, 900000,
    ]);
    expect(await bucketsOf(new Prometheus({ durationBucketsMs: [1, 1000] }))).toEqual([1, 1000, "+Inf"]);
  });

  it("creates the series of the worker's actors at 0 when it boots", async () => {
    // Given actors on two queues, and a worker consuming only one of them
    const { broker, prometheus } = brokerWith();
    defineActor("booted", () => {}, { broker });
    defineActor("elsewhere", () => {}, { broker, queue: "other" });

    // When the worker boots
    await pool.start(broker, { queues: ["default"] });

    // Then I expect its actor's series at 0, and none for the other queue
    expect(await snapshot(prometheus, "booted")).toEqual({
      messages: 0,
      errors: 0,
      retries: 0,
      rejects: 0,
      inProgress: 0,
      delayed: 0,
      durations: 0,
    });
    expect(
      await seriesValue(prometheus, "dramatiq_messages_total", {
        queue_name: "other",
        actor_name: "elsewhere",
      }),
    ).toBeUndefined();
  });
});

describe("Prometheus: processing", () => {
  it("counts successes and times them, by queue and actor", async () => {
    // Given two actors
    const { broker, prometheus } = brokerWith();
    const add = defineActor("add", (x: number, y: number) => x + y, { broker });
    const echo = defineActor("echo", (text: string) => text, { broker });
    const worker = await pool.start(broker);

    // When three and one messages succeed
    await add.send(1, 2);
    await add.send(3, 4);
    await add.send(5, 6);
    await echo.send("hi");
    await drain(broker, worker);

    // Then I expect them counted and timed per actor, with nothing failed or in progress
    expect(await snapshot(prometheus, "add")).toEqual({
      messages: 3,
      errors: 0,
      retries: 0,
      rejects: 0,
      inProgress: 0,
      delayed: 0,
      durations: 3,
    });
    expect(await snapshot(prometheus, "echo")).toMatchObject({ messages: 1, durations: 1 });
    const sum = await seriesValue(
      prometheus,
      "dramatiq_message_duration_milliseconds",
      { ...Q, actor_name: "add" },
      "dramatiq_message_duration_milliseconds_sum",
    );
    expect(sum).toBeGreaterThanOrEqual(0);
  });

  it("shows attempts in progress while they run, and times them", async () => {
    // Given an actor that waits until released
    const { broker, prometheus } = brokerWith();
    const started = deferred();
    const release = deferred();
    cleanups.push(() => release.resolve());
    const slow = defineActor(
      "slow",
      async () => {
        started.resolve();
        await release.promise;
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When one runs
    await slow.send();
    await started.promise;

    // Then I expect it in progress and not yet counted, then counted once released
    expect(await snapshot(prometheus, "slow")).toMatchObject({ inProgress: 1, messages: 0 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    release.resolve();
    await drain(broker, worker);
    expect(await snapshot(prometheus, "slow")).toMatchObject({ inProgress: 0, messages: 1, durations: 1 });
    const sum = await seriesValue(
      prometheus,
      "dramatiq_message_duration_milliseconds",
      { ...Q, actor_name: "slow" },
      "dramatiq_message_duration_milliseconds_sum",
    );
    expect(sum).toBeGreaterThanOrEqual(25);
  });

  it("counts a failure without retries as a message, an error and a reject", async () => {
    // Given an actor that always fails and may not retry
    const { broker, prometheus } = brokerWith();
    const boom = defineActor(
      "boom",
      () => {
        throw new Error("boom");
      },
      { broker, maxRetries: 0 },
    );
    const worker = await pool.start(broker);

    // When it runs
    await boom.send();
    await drain(broker, worker);

    // Then I expect one message, one error, one reject and no retry
    expect(await snapshot(prometheus, "boom")).toEqual({
      messages: 1,
      errors: 1,
      retries: 0,
      rejects: 1,
      inProgress: 0,
      delayed: 0,
      durations: 1,
    });
  });

  it.each(["prometheus-last", "prometheus-first"] as const)(
    "counts each retry once, wherever it sits in the stack (%s)",
    async (order) => {
      // Given an actor that fails twice, then succeeds
      const { broker, prometheus } = brokerWith(order);
      let attempts = 0;
      const flaky = defineActor(
        "flaky",
        () => {
          attempts++;
          if (attempts <= 2) {
            throw new Error(`attempt ${attempts}`);
          }
        },
        { broker },
      );
      const worker = await pool.start(broker);

      // When it runs to success
      await flaky.send();
      await drain(broker, worker);

      // Then I expect 3 attempts, 2 errors, 2 retries (on the delay queue, as Dramatiq labels them),
      // no reject, and no delayed message left held
      expect(attempts).toBe(3);
      // (The worker moving each retry from the delay queue to the queue is no retry.)
      expect(
        await seriesValue(prometheus, "dramatiq_message_retries_total", { ...Q, actor_name: "flaky" }),
      ).toBeUndefined();
      expect(await snapshot(prometheus, "flaky")).toEqual({
        messages: 3,
        errors: 2,
        retries: 2,
        rejects: 0,
        inProgress: 0,
        delayed: 0,
        durations: 3,
      });
    },
  );

  it("counts a retry once, under the delay queue, even when the worker moves it before its enqueue returns", async () => {
    // Given a middleware (after Prometheus in the stack, so its after hook runs first) that holds the
    // retry's afterEnqueue until the worker has moved the due retry from the delay queue to the queue,
    // as RabbitMQ may do before it confirms the retry's publish
    const moved = deferred();
    cleanups.push(() => moved.resolve());
    const confirmLate: Middleware = {
      afterEnqueue: (_b, message, delayMs) => {
        if (message.options.retries === 1) {
          if (delayMs > 0) {
            return moved.promise;
          }
          moved.resolve();
        }
        return undefined;
      },
    };
    const { broker, prometheus } = brokerWith("prometheus-first", [confirmLate]);
    let attempts = 0;
    const late = defineActor(
      "late",
      () => {
        if (++attempts === 1) {
          throw new Error("first");
        }
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When the first attempt fails and its retry runs
    await late.send();
    await drain(broker, worker);

    // Then I expect one retry, under the delay queue it was scheduled to, and none under the queue
    expect(attempts).toBe(2);
    expect(await snapshot(prometheus, "late")).toMatchObject({ messages: 2, errors: 1, retries: 1 });
    expect(
      await seriesValue(prometheus, "dramatiq_message_retries_total", { ...Q, actor_name: "late" }),
    ).toBeUndefined();
  });

  it("counts a retry scheduled without a delay on the queue itself", async () => {
    // Given an actor whose first attempt asks to be retried at once
    const { broker, prometheus } = brokerWith();
    let attempts = 0;
    const again = defineActor(
      "again",
      () => {
        if (++attempts === 1) {
          throw new Retry({ delayMs: 0 });
        }
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When it runs
    await again.send();
    await drain(broker, worker);

    // Then I expect the retry counted under the queue it was enqueued to
    expect(attempts).toBe(2);
    expect(
      await seriesValue(prometheus, "dramatiq_message_retries_total", { ...Q, actor_name: "again" }),
    ).toBe(1);
    expect(await snapshot(prometheus, "again")).toMatchObject({ messages: 2, errors: 1, retries: 0 });
  });

  it("counts retries, then the reject, when retries run out", async () => {
    // Given an actor that always fails, allowed 2 retries
    const { broker, prometheus } = brokerWith();
    const doomed = defineActor(
      "doomed",
      () => {
        throw new Error("never");
      },
      { broker, maxRetries: 2 },
    );
    const worker = await pool.start(broker);

    // When it runs until dead-lettered
    await doomed.send();
    await drain(broker, worker);

    // Then I expect 3 attempts, all errors, 2 retries and 1 reject
    expect(broker.deadLetters("default")).toHaveLength(1);
    expect(await snapshot(prometheus, "doomed")).toEqual({
      messages: 3,
      errors: 3,
      retries: 2,
      rejects: 1,
      inProgress: 0,
      delayed: 0,
      durations: 3,
    });
  });

  it("counts a message skipped by an earlier middleware, without driving the gauge below 0", async () => {
    // Given a middleware ahead of Prometheus that fails and skips every message (as AgeLimit does)
    const skipper: Middleware = {
      beforeProcessMessage: (_b, proxy) => {
        const reason = new SkipMessage("too old");
        proxy.fail(reason);
        throw reason;
      },
    };
    const broker = new StubBroker({ middleware: [skipper, new Prometheus()], logger: quietLogger() });
    const prometheus = broker.middleware[1] as Prometheus;
    const stale = defineActor("stale", () => {}, { broker });
    const worker = await pool.start(broker);

    // When a message arrives
    await stale.send();
    await drain(broker, worker);

    // Then I expect it counted (as Dramatiq does for skips) and rejected, with nothing left in progress
    expect(await snapshot(prometheus, "stale")).toMatchObject({
      messages: 1,
      errors: 0,
      rejects: 1,
      inProgress: 0,
      durations: 1,
    });
  });

  it("counts a reject for a message to an unknown actor", async () => {
    // Given a worker, and a message for an actor no one declared
    const { broker, prometheus } = brokerWith();
    defineActor("known", () => {}, { broker });
    const worker = await pool.start(broker);

    // When it arrives
    broker.publishRaw(
      "default",
      new Message({ queueName: "default", actorName: "ghost", args: [] }).encode(),
    );
    await drain(broker, worker);

    // Then I expect one reject under its name, and no message counted
    expect(
      await seriesValue(prometheus, "dramatiq_message_rejects_total", { ...Q, actor_name: "ghost" }),
    ).toBe(1);
    expect(
      await seriesValue(prometheus, "dramatiq_messages_total", { ...Q, actor_name: "ghost" }),
    ).toBeUndefined();
  });

  it("lowers the in-progress gauge for an attempt abandoned at the shutdown timeout", async () => {
    // Given an attempt that never ends
    const { broker, prometheus } = brokerWith();
    const started = deferred();
    const never = deferred();
    cleanups.push(() => never.resolve());
    const stuck = defineActor(
      "stuck",
      async () => {
        started.resolve();
        await never.promise;
      },
      { broker },
    );
    const worker = await pool.start(broker, { shutdownTimeoutMs: 20 });
    await stuck.send();
    await started.promise;
    expect(await snapshot(prometheus, "stuck")).toMatchObject({ inProgress: 1 });

    // When the worker stops and hands it back
    await worker.stop();

    // Then I expect nothing in progress, and the attempt not counted
    expect(await snapshot(prometheus, "stuck")).toMatchObject({ inProgress: 0, messages: 0 });
  });
});

describe("Prometheus: delayed messages", () => {
  it("holds a delayed message in the gauge until the worker releases it, then counts it", async () => {
    // Given a worker, and a watcher after Prometheus in the stack
    const { broker, prometheus } = brokerWith("prometheus-first");
    const { watcher, held } = delayWatcher();
    broker.addMiddleware(watcher);
    const later = defineActor("later", () => {}, { broker });
    const worker = await pool.start(broker);

    // When a message delayed by 50 ms arrives
    const sent = await later.sendWithOptions({ delayMs: 50 });
    expect(await held.promise).toBe(sent.messageId);

    // Then I expect it in the delayed gauge (under the delay queue's name) while held,
    // and out of it once released and processed
    expect(await snapshot(prometheus, "later")).toMatchObject({ delayed: 1, messages: 0 });
    await drain(broker, worker);
    expect(await snapshot(prometheus, "later")).toMatchObject({ delayed: 0, messages: 1, retries: 0 });
  });

  it("lowers the gauge when the worker stops and hands the held messages back", async () => {
    // Given two messages held for a minute
    const { broker, prometheus } = brokerWith("prometheus-first");
    const { watcher, held } = delayWatcher();
    broker.addMiddleware(watcher);
    const later = defineActor("far", () => {}, { broker });
    const worker = await pool.start(broker);
    await later.sendWithOptions({ delayMs: 60_000 });
    await held.promise;
    await later.sendWithOptions({ delayMs: 60_000 });
    const dq = { ...DQ, actor_name: "far" };
    await expect.poll(() => seriesValue(prometheus, "dramatiq_delayed_messages_inprogress", dq)).toBe(2);

    // When the worker stops
    await worker.stop();

    // Then I expect the gauge back to 0, the messages back in the delay queue
    expect(await seriesValue(prometheus, "dramatiq_delayed_messages_inprogress", dq)).toBe(0);
    expect((await broker.getQueueCounts("default")).delayed).toBe(2);
  });

  it("counts a message re-parked in its delay queue (due too far ahead) once, and its retry once", async () => {
    // Given a retry backoff of 60–80 ms, and a worker that holds a delayed message at most 10 ms
    const prometheus = new Prometheus();
    const broker = new StubBroker({
      middleware: [new Retries({ minBackoffMs: 60, maxBackoffMs: 80 }), prometheus],
      logger: quietLogger(),
    });
    let attempts = 0;
    const parked = defineActor(
      "parked",
      () => {
        if (++attempts === 1) {
          throw new Error("first");
        }
      },
      { broker },
    );
    const worker = await pool.start(broker, { maxHoldMs: 10 });

    // When the first attempt fails and its retry is re-parked several times before it is due
    await parked.send();
    await drain(broker, worker);

    // Then I expect one retry (not one per re-park), and no message left held
    expect(attempts).toBe(2);
    expect(await snapshot(prometheus, "parked")).toMatchObject({
      messages: 2,
      errors: 1,
      retries: 1,
      delayed: 0,
    });
  });

  it("counts a delayed delivery once when it is held again before its first hold ended", async () => {
    // Given a delayed message, as the worker sees it twice (redelivered after a channel closed)
    const prometheus = new Prometheus();
    const broker = new StubBroker({ middleware: [prometheus], logger: quietLogger() });
    const message = new Message({ queueName: "q.DQ", actorName: "a", args: [], options: { eta: 1 } });
    const first = new MessageProxy(message, false, quietLogger());
    const again = new MessageProxy(message, true, quietLogger());

    // When both holds start, then the message is released once
    prometheus.beforeDelayMessage(broker, first);
    prometheus.beforeDelayMessage(broker, again);
    const labels = { queue_name: "q.DQ", actor_name: "a" };
    expect(await seriesValue(prometheus, "dramatiq_delayed_messages_inprogress", labels)).toBe(1);
    prometheus.beforeEnqueue(broker, message.copy({ queueName: "q" }));

    // Then I expect 1 while held, 0 after
    expect(await seriesValue(prometheus, "dramatiq_delayed_messages_inprogress", labels)).toBe(0);
  });
});
