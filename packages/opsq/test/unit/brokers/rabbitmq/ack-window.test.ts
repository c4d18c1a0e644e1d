import { describe, expect, it } from "vitest";
import { AckWindow } from "../../../../src/brokers/rabbitmq/ack-window.js";

function flushed(window: AckWindow): [number, boolean][] {
  const frames: [number, boolean][] = [];
  window.flush((tag, multiple) => frames.push([tag, multiple]));
  return frames;
}

function deliver(window: AckWindow, from: number, to: number): void {
  for (let tag = from; tag <= to; tag++) {
    window.delivered(tag);
  }
}

describe("AckWindow", () => {
  it("acks a run of in-order acks with one multiple frame", () => {
    const window = new AckWindow();
    deliver(window, 1, 50);
    for (let tag = 1; tag <= 50; tag++) {
      expect(window.acked(tag)).toBe(tag);
    }
    expect(flushed(window)).toEqual([[50, true]]);
    expect(window.pending).toBe(0);
    expect(flushed(window)).toEqual([]);
  });

  it("acks past an unsettled delivery one by one, then covers them once it settles", () => {
    const window = new AckWindow();
    deliver(window, 1, 5);
    window.acked(1);
    window.acked(2);
    window.acked(4);
    expect(flushed(window)).toEqual([
      [2, true],
      [4, false],
    ]);
    window.acked(3);
    window.acked(5);
    expect(flushed(window)).toEqual([[5, true]]);
  });

  it("lets a run cross deliveries nacked or requeued, but never ends on one", () => {
    const window = new AckWindow();
    deliver(window, 1, 4);
    window.acked(1);
    window.settledElsewhere(2);
    window.acked(3);
    window.settledElsewhere(4);
    expect(flushed(window)).toEqual([[3, true]]);
    deliver(window, 5, 6);
    window.settledElsewhere(5);
    window.acked(6);
    expect(flushed(window)).toEqual([[6, true]]);
  });

  it("stays correct over many batches and out-of-order acks (arrays compacted)", () => {
    const window = new AckWindow();
    const sent = new Set<number>();
    const acked = new Set<number>();
    let lastMultiple = 0;
    const settle = (frames: [number, boolean][]) => {
      for (const [tag, multiple] of frames) {
        if (multiple) {
          expect(tag).toBeGreaterThan(lastMultiple);
          for (let t = lastMultiple + 1; t <= tag; t++) {
            // A multiple ack must never cover a delivery the worker has not acked.
            expect(acked.has(t)).toBe(true);
            sent.add(t);
          }
          lastMultiple = tag;
        } else {
          // Acking a tag twice would close the channel (PRECONDITION_FAILED).
          expect(sent.has(tag)).toBe(false);
          expect(acked.has(tag)).toBe(true);
          sent.add(tag);
        }
      }
    };
    for (let batch = 0; batch < 200; batch++) {
      const from = batch * 10 + 1;
      deliver(window, from, from + 9);
      // acks in a shuffled but deterministic order
      for (const offset of [3, 0, 9, 1, 8, 2, 7, 4, 6, 5]) {
        window.acked(from + offset);
        acked.add(from + offset);
        if (offset === 8) {
          settle(flushed(window));
        }
      }
      settle(flushed(window));
    }
    expect(sent.size).toBe(2000);
    expect(window.pending).toBe(0);
  });

  it("clear() drops waiting acks (the channel is gone)", () => {
    const window = new AckWindow();
    deliver(window, 1, 3);
    window.acked(1);
    window.clear();
    expect(window.pending).toBe(0);
    expect(flushed(window)).toEqual([]);
  });
});
