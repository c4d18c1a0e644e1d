import { describe, expect, it } from "vitest";
import { DeliveryBuffer } from "../../src/delivery-buffer.js";

function drain<T>(buffer: DeliveryBuffer<T>): T[] {
  const taken: T[] = [];
  for (let item = buffer.shift(); item !== undefined; item = buffer.shift()) {
    taken.push(item);
  }
  return taken;
}

describe("DeliveryBuffer", () => {
  it("takes items in arrival order when every priority is the default", () => {
    const buffer = new DeliveryBuffer<number>();
    for (let i = 0; i < 3000; i++) {
      buffer.push(i);
    }
    expect(buffer.size).toBe(3000);
    expect(drain(buffer)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(buffer.size).toBe(0);
  });

  it("takes the lowest priority first, and arrival order among equals", () => {
    // Given items of priorities 5, 0, -1 and 2, interleaved
    const buffer = new DeliveryBuffer<string>();
    const pushes: [string, number][] = [
      ["a5", 5],
      ["b0", 0],
      ["c-1", -1],
      ["d2", 2],
      ["e0", 0],
      ["f5", 5],
      ["g-1", -1],
      ["h2", 2],
    ];
    for (const [item, priority] of pushes) {
      buffer.push(item, priority);
    }

    // Then I expect them sorted by priority, stable
    expect(drain(buffer)).toEqual(["c-1", "g-1", "b0", "e0", "d2", "h2", "a5", "f5"]);
  });

  it("matches a stable sort by priority on a random mix, with takes between pushes", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const buffer = new DeliveryBuffer<[number, number]>();
    const model: [number, number][] = [];
    const taken: [number, number][] = [];
    const expected: [number, number][] = [];
    for (let i = 0; i < 2000; i++) {
      const priority = Math.floor(random() * 5) - 2;
      buffer.push([priority, i], priority);
      model.push([priority, i]);
      if (random() < 0.4) {
        model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expected.push(model.shift()!);
        taken.push(buffer.shift()!);
      }
    }
    model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect([...taken, ...drain(buffer)]).toEqual([...expected, ...model]);
  });

  it("clear() returns everything it held and empties it", () => {
    const buffer = new DeliveryBuffer<string>();
    buffer.push("a");
    buffer.push("b", 3);
    buffer.push("c", -3);
    expect(buffer.clear().sort()).toEqual(["a", "b", "c"]);
    expect(buffer.size).toBe(0);
    expect(buffer.shift()).toBeUndefined();
  });
});
