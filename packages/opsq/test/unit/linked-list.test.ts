import { describe, expect, it } from "vitest";
import { LinkedList } from "../../src/linked-list.js";

describe("LinkedList", () => {
  it("keeps insertion order and removes any node in place", () => {
    const list = new LinkedList<string>();
    const a = list.push("a");
    const b = list.push("b");
    const c = list.push("c");
    expect([...list]).toEqual(["a", "b", "c"]);
    list.remove(b);
    expect([...list]).toEqual(["a", "c"]);
    list.remove(a);
    expect(list.first).toBe("c");
    list.remove(c);
    expect(list.size).toBe(0);
    expect(list.first).toBeUndefined();
    expect([...list]).toEqual([]);
  });

  it("ignores a node removed twice, and a removed node holds no neighbour", () => {
    const list = new LinkedList<number>();
    const nodes = [1, 2, 3].map((n) => list.push(n));
    list.remove(nodes[1]!);
    list.remove(nodes[1]!);
    expect(list.size).toBe(2);
    expect([...list]).toEqual([1, 3]);
    expect(nodes[1]!.prev).toBeUndefined();
    expect(nodes[1]!.next).toBeUndefined();
  });

  it("shifts the oldest value and lets the current value be removed while iterating", () => {
    const list = new LinkedList<number>();
    const nodes = new Map<number, ReturnType<typeof list.push>>();
    for (let i = 0; i < 6; i++) {
      nodes.set(i, list.push(i));
    }
    const seen: number[] = [];
    for (const value of list) {
      seen.push(value);
      if (value % 2 === 0) {
        list.remove(nodes.get(value)!);
      }
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...list]).toEqual([1, 3, 5]);
    expect(list.shift()).toBe(1);
    expect(list.shift()).toBe(3);
    expect(list.shift()).toBe(5);
    expect(list.shift()).toBeUndefined();
    list.push(9);
    expect([...list]).toEqual([9]);
  });
});
