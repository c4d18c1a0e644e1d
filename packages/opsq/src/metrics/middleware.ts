/**
 * Prometheus: Dramatiq's worker metrics (same names, same labels) in a
 * prom-client registry that the middleware owns. prom-client is loaded when
 * the first `Prometheus` is built, never by importing opsq.
 *
 * @module
 */
import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Broker } from "../broker.js";
import { OpsqError } from "../errors.js";
import type { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Middleware, Outcome } from "../middleware/middleware.js";
import { dqName } from "../queue-names.js";
import type { Worker } from "../worker.js";
import { loadPromClient } from "./prom-client.js";

/** Dramatiq's buckets of `message_duration_milliseconds`, in ms (`+Inf` is implied). */
export const DEFAULT_DURATION_BUCKETS_MS: readonly number[] = Object.freeze([
  5, 10, 25, 50, 75, 100, 250, 500, 750, 1_000, 2_500, 5_000, 7_500, 10_000, 30_000, 60_000, 600_000, 900_000,
]);

/** Options of {@link Prometheus}. */
export interface PrometheusOptions {
  /**
   * Prepended to every metric name. The default keeps Dramatiq's names, so its
   * dashboards and alerts work unchanged; `""` gives bare names (`messages_total`).
   * @default "dramatiq_"
   */
  prefix?: string;
  /** Upper bounds of the duration histogram's buckets, in ms, increasing. @default {@link DEFAULT_DURATION_BUCKETS_MS} */
  durationBucketsMs?: readonly number[];
}

/** The labels of every metric: the message's `queue_name` and `actor_name`. */
type LabelName = "queue_name" | "actor_name";
type Labels = Record<LabelName, string>;

/**
 * The hot counts of one (queue, actor): kept as plain numbers on the message path and
 * handed to prom-client when it collects (a scrape), which saves hashing the labels
 * several times per message.
 */
interface Series {
  readonly labels: Labels;
  /** Attempts ended since the last collection. */
  messages: number;
  /** Attempts failed since the last collection. */
  errors: number;
  /** Attempts running now. */
  inProgress: number;
}

/** An attempt seen by `beforeProcessMessage`, until it is settled. */
interface Attempt {
  readonly series: Series;
  readonly startMs: number;
  finished: boolean;
}

const LABEL_NAMES: readonly LabelName[] = ["queue_name", "actor_name"];
const PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/**
 * Counts what the worker does, as Dramatiq's Prometheus middleware does, with
 * the labels `queue_name` and `actor_name`:
 *
 * | metric (default prefix) | type | counted |
 * | --- | --- | --- |
 * | `dramatiq_messages_total` | counter | each attempt that ended (ran, failed or was skipped) |
 * | `dramatiq_message_errors_total` | counter | each attempt that ended with an error |
 * | `dramatiq_message_retries_total` | counter | each retry a failed attempt scheduled |
 * | `dramatiq_message_rejects_total` | counter | each message dead-lettered (nacked) |
 * | `dramatiq_messages_inprogress` | gauge | attempts running now |
 * | `dramatiq_delayed_messages_inprogress` | gauge | delayed messages held until their eta |
 * | `dramatiq_message_duration_milliseconds` | histogram | how long each attempt took |
 *
 * Label values are the message's `queue_name` as the hook sees it, as in
 * Dramatiq: retries scheduled with a backoff and delayed messages carry the
 * delay queue's name (`q.DQ`). Add it to a broker, then serve {@link Prometheus.registry}
 * (`opsq worker --metrics-port` does both).
 *
 * @example
 * ```ts
 * const prometheus = new Prometheus();
 * broker.addMiddleware(prometheus);
 * const text = await prometheus.registry.metrics();
 * ```
 */
export class Prometheus implements Middleware {
  readonly name = "Prometheus";
  /** The registry holding these metrics (not prom-client's global one); register your own metrics here too. */
  readonly registry: Registry;
  readonly #messages: Counter<LabelName>;
  readonly #errors: Counter<LabelName>;
  readonly #retries: Counter<LabelName>;
  readonly #rejects: Counter<LabelName>;
  readonly #inProgress: Gauge<LabelName>;
  readonly #delayed: Gauge<LabelName>;
  readonly #duration: Histogram<LabelName>;
  readonly #attempts = new Map<MessageProxy, Attempt>();
  // By queue name, then actor name.
  readonly #series = new Map<string, Map<string, Series>>();
  // Message ids with an attempt running or settling here, and the most retries seen for each.
  readonly #active = new Map<string, { attempts: number; retries: number }>();
  // Delayed messages this process holds, with the labels their gauge was raised with.
  readonly #held = new Map<string, Labels>();
  // Retries being published: counted once the broker has them.
  readonly #retrying = new WeakSet<Message>();

  /** @param options the name prefix and the duration buckets */
  constructor(options: PrometheusOptions = {}) {
    const prefix = options.prefix ?? "dramatiq_";
    if (!PREFIX.test(prefix)) {
      throw new OpsqError(
        `invalid metric prefix "${prefix}": use letters, digits, "_" and ":", not starting with a digit`,
      );
    }
    const buckets = [...(options.durationBucketsMs ?? DEFAULT_DURATION_BUCKETS_MS)];
    if (
      buckets.length === 0 ||
      buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))
    ) {
      throw new OpsqError(
        `invalid durationBucketsMs [${buckets.join(", ")}]: give finite numbers in increasing order`,
      );
    }
    const prom = loadPromClient();
    this.registry = new prom.Registry();
    const registers = [this.registry];
    // A metric's options; `collect` runs at each scrape, with the metric as `this`.
    const config = <M>(name: string, help: string, collect?: (metric: M) => void) => ({
      name: prefix + name,
      help,
      labelNames: LABEL_NAMES,
      registers,
      ...(collect && {
        collect(this: M) {
          collect(this);
        },
      }),
    });
    const counter = (name: string, help: string, collect?: (metric: Counter<LabelName>) => void) =>
      new prom.Counter(config(name, help, collect));
    const gauge = (name: string, help: string, collect?: (metric: Gauge<LabelName>) => void) =>
      new prom.Gauge(config(name, help, collect));
    this.#messages = counter(
      "messages_total",
      "Attempts that ended: succeeded, failed or skipped.",
      (metric) =>
        this.#eachSeries((series) => {
          if (series.messages > 0) {
            metric.inc(series.labels, series.messages);
            series.messages = 0;
          }
        }),
    );
    this.#errors = counter("message_errors_total", "Attempts that ended with an error.", (metric) =>
      this.#eachSeries((series) => {
        if (series.errors > 0) {
          metric.inc(series.labels, series.errors);
          series.errors = 0;
        }
      }),
    );
    this.#retries = counter("message_retries_total", "Retries scheduled by failed attempts.");
    this.#rejects = counter("message_rejects_total", "Messages dead-lettered (nacked).");
    this.#inProgress = gauge("messages_inprogress", "Attempts running now.", (metric) =>
      this.#eachSeries((series) => metric.set(series.labels, series.inProgress)),
    );
    this.#delayed = gauge("delayed_messages_inprogress", "Delayed messages held until their eta.");
    this.#duration = new prom.Histogram({
      name: `${prefix}message_duration_milliseconds`,
      help: "How long attempts took, in milliseconds.",
      labelNames: LABEL_NAMES,
      buckets,
      registers,
    });
  }

  /** Creates every series of the worker's actors at 0, so that `rate()` works from the first message. */
  afterWorkerBoot(broker: Broker, worker: Worker): void {
    for (const actor of broker.actors.values()) {
      if (!worker.queues.includes(actor.queueName)) {
        continue;
      }
      const labels = { queue_name: actor.queueName, actor_name: actor.name };
      const delayed = { queue_name: dqName(actor.queueName), actor_name: actor.name };
      this.#messages.inc(labels, 0);
      this.#errors.inc(labels, 0);
      this.#rejects.inc(labels, 0);
      this.#retries.inc(delayed, 0);
      this.#inProgress.inc(labels, 0);
      this.#delayed.inc(delayed, 0);
      this.#duration.zero(labels);
    }
  }

  beforeDelayMessage(_broker: Broker, proxy: MessageProxy): void {
    // A delivery redelivered while its first hold is pending is the same message: count it once.
    if (!this.#held.has(proxy.messageId)) {
      const labels = labelsOf(proxy.message);
      this.#held.set(proxy.messageId, labels);
      this.#delayed.inc(labels);
    }
  }

  beforeEnqueue(_broker: Broker, message: Message): void {
    // The worker releases a held message by re-publishing it (to its queue when due,
    // to its delay queue when due too far ahead): the hold ends here.
    const labels = this.#held.get(message.messageId);
    if (labels !== undefined) {
      this.#held.delete(message.messageId);
      this.#delayed.dec(labels);
    }
    // A retry is an enqueue of a message being processed here, with more retries than seen so far.
    // Decided here, before the publish: once published, the worker may move a due retry from the
    // delay queue to the queue (the same message, as many retries) before this enqueue ends.
    const retries = message.options.retries;
    const active = this.#active.get(message.messageId);
    if (active !== undefined && typeof retries === "number" && retries > active.retries) {
      active.retries = retries;
      this.#retrying.add(message);
    }
  }

  afterEnqueue(_broker: Broker, message: Message): void {
    if (this.#retrying.delete(message)) {
      this.#retries.inc(labelsOf(message));
    }
  }

  beforeProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    const series = this.#seriesOf(proxy.message);
    this.#attempts.set(proxy, { series, startMs: performance.now(), finished: false });
    const active = this.#active.get(proxy.messageId);
    if (active === undefined) {
      this.#active.set(proxy.messageId, { attempts: 1, retries: proxy.retries });
    } else {
      // Another attempt of this message is here still (a retry due at once): its retry count stands.
      active.attempts++;
    }
    series.inProgress++;
  }

  afterProcessMessage(_broker: Broker, proxy: MessageProxy, outcome: Outcome): void {
    this.#finish(proxy, outcome.error !== undefined);
  }

  afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    this.#finish(proxy, false);
  }

  afterAck(_broker: Broker, proxy: MessageProxy): void {
    this.#forget(proxy);
  }

  afterNack(_broker: Broker, proxy: MessageProxy): void {
    this.#forget(proxy);
    this.#rejects.inc(labelsOf(proxy.message));
  }

  /** The worker handed back what it held and abandoned: lower the gauges accordingly. */
  afterWorkerShutdown(): void {
    for (const labels of this.#held.values()) {
      this.#delayed.dec(labels);
    }
    this.#held.clear();
    for (const attempt of this.#attempts.values()) {
      if (!attempt.finished) {
        attempt.series.inProgress--;
      }
    }
    this.#attempts.clear();
    this.#active.clear();
  }

  #finish(proxy: MessageProxy, failed: boolean): void {
    const attempt = this.#attempts.get(proxy);
    // No attempt: an earlier middleware skipped the message before our before hook ran.
    // Dramatiq counts it all the same, with no duration.
    const series = attempt?.series ?? this.#seriesOf(proxy.message);
    const durationMs = attempt === undefined ? 0 : performance.now() - attempt.startMs;
    if (attempt !== undefined && !attempt.finished) {
      attempt.finished = true;
      series.inProgress--;
      if (!failed) {
        // Only a failure is retried: nothing more to watch for.
        this.#forget(proxy);
      }
    }
    this.#duration.observe(series.labels, durationMs);
    series.messages++;
    if (failed) {
      series.errors++;
    }
  }

  #seriesOf(message: Message): Series {
    let byActor = this.#series.get(message.queueName);
    if (byActor === undefined) {
      byActor = new Map();
      this.#series.set(message.queueName, byActor);
    }
    let series = byActor.get(message.actorName);
    if (series === undefined) {
      series = { labels: labelsOf(message), messages: 0, errors: 0, inProgress: 0 };
      byActor.set(message.actorName, series);
    }
    return series;
  }

  #eachSeries(visit: (series: Series) => void): void {
    for (const byActor of this.#series.values()) {
      for (const series of byActor.values()) {
        visit(series);
      }
    }
  }

  // The attempt is settled: its retry, if any, was enqueued before (Retries runs in afterProcessMessage).
  #forget(proxy: MessageProxy): void {
    if (!this.#attempts.delete(proxy)) {
      return;
    }
    const active = this.#active.get(proxy.messageId);
    if (active !== undefined && --active.attempts === 0) {
      this.#active.delete(proxy.messageId);
    }
  }
}

function labelsOf(message: Message): Labels {
  return { queue_name: message.queueName, actor_name: message.actorName };
}
