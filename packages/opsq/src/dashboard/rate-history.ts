/**
 * Rates of each queue over the last minutes, kept in memory by the dashboard: either read from
 * RabbitMQ's management API (its own publish and deliver rates), or estimated from samples
 * (delivered: the change in the messages workers say they finished, in their heartbeats;
 * published: that plus the change in ready messages).
 *
 * @module
 */
import type { RatePoint } from "./chart.js";

/** One sample of a queue, for estimated rates. */
export interface CountSample {
  /** When (Unix ms). */
  atMs: number;
  /** Ready messages in `q`. */
  ready: number;
  /** Messages of `q` workers finished since they started (sum over live workers), when known. */
  processed: number | undefined;
}

/** Rate points per queue, at most `windowMs` old. */
export class RateHistory {
  readonly #windowMs: number;
  readonly #points = new Map<string, RatePoint[]>();
  readonly #last = new Map<string, CountSample>();

  /** @param windowMs how far back points are kept @default 600000 (10 minutes) */
  constructor(windowMs = 600_000) {
    this.#windowMs = windowMs;
  }

  /** Records rates read as they are (from the management API). */
  addRates(queue: string, point: RatePoint): void {
    this.#push(queue, point);
  }

  /** Records a count sample and, from the previous one, an estimated rate point. */
  addSample(queue: string, sample: CountSample): void {
    const previous = this.#last.get(queue);
    this.#last.set(queue, sample);
    if (previous === undefined || sample.atMs <= previous.atMs) {
      return;
    }
    const seconds = (sample.atMs - previous.atMs) / 1_000;
    // A worker that went away takes its counter with it: a negative change is not a rate.
    const processed =
      sample.processed !== undefined && previous.processed !== undefined
        ? Math.max(0, sample.processed - previous.processed)
        : undefined;
    const deliverPerSec = processed === undefined ? undefined : processed / seconds;
    const publishPerSec = Math.max(0, (sample.ready - previous.ready + (processed ?? 0)) / seconds);
    this.#push(queue, { atMs: sample.atMs, publishPerSec, deliverPerSec });
  }

  /** The points of `queue`, oldest first. */
  points(queue: string): readonly RatePoint[] {
    return this.#points.get(queue) ?? [];
  }

  #push(queue: string, point: RatePoint): void {
    const points = this.#points.get(queue) ?? [];
    points.push(point);
    const oldest = point.atMs - this.#windowMs;
    while (points.length > 0 && points[0]!.atMs < oldest) {
      points.shift();
    }
    this.#points.set(queue, points);
  }
}
