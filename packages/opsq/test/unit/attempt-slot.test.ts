import { describe, expect, it } from "vitest";
import { AttemptSlot } from "../../src/attempt-slot.js";
import { getLogger } from "../../src/logger.js";
import { Message } from "../../src/message.js";
import { MessageProxy } from "../../src/message-proxy.js";

const proxy = () =>
  new MessageProxy(
    new Message({ queueName: "q", actorName: "a", args: [], kwargs: {}, options: {} }),
    false,
    getLogger(),
  );

describe("AttemptSlot", () => {
  it("keeps one value per attempt and per slot", () => {
    const first = new AttemptSlot<number>("first");
    const second = new AttemptSlot<string>("second");
    const one = proxy();
    const two = proxy();
    first.set(one, 1);
    second.set(one, "x");
    first.set(two, 2);
    expect(first.get(one)).toBe(1);
    expect(second.get(one)).toBe("x");
    expect(first.get(two)).toBe(2);
    expect(second.get(two)).toBeUndefined();
  });

  it("take() empties the slot once", () => {
    const slot = new AttemptSlot<object>();
    const attempt = proxy();
    const value = {};
    slot.set(attempt, value);
    expect(slot.take(attempt)).toBe(value);
    expect(slot.take(attempt)).toBeUndefined();
    expect(slot.get(attempt)).toBeUndefined();
  });
});
