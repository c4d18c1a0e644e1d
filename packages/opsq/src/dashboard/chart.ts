/**
 * A small inline SVG line chart of rates (messages per second) over time: two series,
 * published and delivered, no script and no external asset.
 *
 * @module
 */
import { html, type SafeHtml } from "./html.js";

/** One point of a rate chart. */
export interface RatePoint {
  /** When (Unix ms). */
  atMs: number;
  /** Messages published per second, when known. */
  publishPerSec: number | undefined;
  /** Messages delivered (processed) per second, when known. */
  deliverPerSec: number | undefined;
}

const WIDTH = 160;
const HEIGHT = 32;

/** An SVG chart of `points` (oldest first), with the latest rates as its title. */
export function rateChart(points: readonly RatePoint[]): SafeHtml {
  if (points.length < 2) {
    return html`<span class="muted">collecting…</span>`;
  }
  const values = points.flatMap((p) => [p.publishPerSec ?? 0, p.deliverPerSec ?? 0]);
  const max = Math.max(1, ...values);
  const first = points[0]!.atMs;
  const span = Math.max(1, points.at(-1)!.atMs - first);
  const line = (pick: (p: RatePoint) => number | undefined) =>
    points
      .map((p) => {
        const x = ((p.atMs - first) / span) * WIDTH;
        const y = HEIGHT - ((pick(p) ?? 0) / max) * (HEIGHT - 2) - 1;
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(" ");
  const last = points.at(-1)!;
  const title = `published ${rate(last.publishPerSec)}/s, delivered ${rate(last.deliverPerSec)}/s (max ${rate(max)}/s)`;
  return html`<svg class="chart" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}"><title>${title}</title><polyline class="pub" fill="none" points="${line((p) => p.publishPerSec)}"/><polyline class="del" fill="none" points="${line((p) => p.deliverPerSec)}"/></svg>`;
}

/** A rate for people: `12`, `0.4`, `-` when unknown. */
export function rate(value: number | undefined): string {
  if (value === undefined) {
    return "-";
  }
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}
