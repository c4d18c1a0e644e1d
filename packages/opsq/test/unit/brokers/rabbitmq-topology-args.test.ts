/**
 * Queue arguments of the RabbitMQ topology (classic: Dramatiq's exactly; quorum:
 * typed, with a delivery limit on `q` only) and the decoding of dead letters.
 */
import { describe, expect, it } from "vitest";
import { decodeDeadLetter } from "../../../src/brokers/rabbitmq/inspect.js";
import { deadLetterQueueArguments, queueArguments } from "../../../src/brokers/rabbitmq/topology.js";

describe("queue arguments", () => {
  it("classic arguments are Dramatiq's, whatever the delivery limit", () => {
    expect(queueArguments("q")).toEqual({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "q.XQ",
    });
    expect(queueArguments("q.DQ", 10, { queueType: "classic", deliveryLimit: 3 })).toEqual({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "q.XQ",
      "x-max-priority": 10,
    });
    expect(deadLetterQueueArguments()).toEqual({ "x-message-ttl": 604_800_000 });
  });

  it("quorum adds x-queue-type everywhere and x-delivery-limit on q only", () => {
    const settings = { queueType: "quorum", deliveryLimit: 5 } as const;
    expect(queueArguments("q", undefined, settings)).toEqual({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "q.XQ",
      "x-queue-type": "quorum",
      "x-delivery-limit": 5,
    });
    expect(queueArguments("q.DQ", undefined, settings)).toEqual({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "q.XQ",
      "x-queue-type": "quorum",
    });
    expect(deadLetterQueueArguments("quorum")).toEqual({
      "x-message-ttl": 604_800_000,
      "x-queue-type": "quorum",
    });
  });
});

describe("decodeDeadLetter", () => {
  const body = (options: Record<string, unknown>) =>
    Buffer.from(
      JSON.stringify({
        queue_name: "q",
        actor_name: "act",
        args: [1],
        kwargs: { a: 2 },
        options,
        message_id: "id-1",
        message_timestamp: 0,
      }),
    );

  it("takes the error from a Python traceback's last line and x-death from the headers", () => {
    const letter = decodeDeadLetter({
      content: body({
        retries: 3,
        traceback: "Traceback (most recent call last):\n  File x\nValueError: bad\n",
      }),
      properties: {
        headers: { "x-death": [{ reason: "rejected", queue: "q", count: 2, time: 1_700_000_000 }] },
      } as never,
    });
    expect(letter).toMatchObject({
      messageId: "id-1",
      actor: "act",
      args: [1],
      kwargs: { a: 2 },
      error: "ValueError: bad",
      deaths: [{ reason: "rejected", queue: "q", count: 2, time: "2023-11-14T22:13:20.000Z" }],
    });
  });

  it("takes the first line of a JS stack, and shows a non-Dramatiq body raw", () => {
    const js = decodeDeadLetter({
      content: body({ traceback: "Error: boom\n    at f (x.js:1:1)" }),
      properties: { headers: {} } as never,
    });
    expect(js.error).toBe("Error: boom");
    const opsqStyle = decodeDeadLetter({
      content: body({ retries: 2, traceback: "Error: boom\n    at f (x.js:1:1)\nError: boom again\n" }),
      properties: { headers: {} } as never,
    });
    expect(opsqStyle).toMatchObject({ error: "Error: boom again", errorAttempt: 2, attempts: 3 });
    const raw = decodeDeadLetter({ content: Buffer.from("not json"), properties: { headers: {} } as never });
    expect(raw).toMatchObject({ body: "not json", actor: undefined, deaths: [] });
  });

  it("bounds a deeply nested or huge dead letter, so printing it cannot overflow the stack", () => {
    // Given a dead letter whose args nest 100,000 levels deep and whose kwargs hold 10,000 keys
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const wide = `{${Array.from({ length: 10_000 }, (_, i) => `"k${i}":${i}`).join(",")}}`;
    const content = Buffer.from(
      `{"queue_name":"q","actor_name":"act","args":[${deep}],"kwargs":${wide},"options":{"__proto__":{"x":1}},"message_id":"id-2","message_timestamp":0}`,
    );

    // When it is decoded
    const letter = decodeDeadLetter({ content, properties: { headers: {} } as never });

    // Then I expect a preview that prints, cut at depth 8 and at 50 entries, with __proto__ kept as a key
    const printed = JSON.stringify(letter, null, 2);
    expect(printed).toContain('"[…]"');
    expect(Object.keys(letter.kwargs)).toHaveLength(51);
    expect(letter.kwargs["…"]).toBe("9950 more");
    expect(Object.getPrototypeOf(letter.options)).toBe(Object.prototype);
    expect(letter.messageId).toBe("id-2");
  });

  it("gives an entry saying why when a dead letter cannot be decoded at all", () => {
    const letter = decodeDeadLetter({ content: Buffer.from("{}"), properties: null as never });
    expect(letter.body).toMatch(/^\(cannot decode this dead letter: /);
  });
});
