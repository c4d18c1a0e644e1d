import { describe, expect, it } from "vitest";
import { DecodeError } from "../../src/errors.js";
import { Message, type MessageDict } from "../../src/message.js";
import { loadMessageFixtures } from "./helpers.js";

const fixtures = loadMessageFixtures();
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const WIRE_KEYS = [
  "actor_name",
  "args",
  "kwargs",
  "message_id",
  "message_timestamp",
  "options",
  "queue_name",
];

const valid: MessageDict = {
  queue_name: "default",
  actor_name: "add",
  args: [1, 2],
  kwargs: {},
  options: {},
  message_id: "022eb8fb-81bc-4099-b6e1-b67299344568",
  message_timestamp: 1795425561544,
};

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function decodeError(data: Uint8Array): DecodeError {
  try {
    Message.decode(data);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error("expected Message.decode to throw");
}

describe("Message.decode", () => {
  it.each(Object.entries(fixtures))("decodes the Dramatiq body of %s", (_name, fixture) => {
    // Given the raw bytes Python Dramatiq published
    const data = Buffer.from(fixture.body_raw, "utf8");

    // When I decode them
    const message = Message.decode(data);

    // Then I expect exactly the body Python meant
    expect(message.asDict()).toEqual(fixture.body);
    expect(message.queueName).toBe(fixture.body.queue_name);
    expect(message.actorName).toBe(fixture.body.actor_name);
    expect(message.messageId).toBe(fixture.body.message_id);
    expect(message.messageTimestamp).toBe(fixture.body.message_timestamp);
  });

  it("decodes \\u escapes to the characters Python escaped", () => {
    // Given a Python body whose kwargs hold escaped non-ASCII text
    const fixture = fixtures.kwargs_unicode_callbacks!;
    expect(fixture.body_raw).toContain("Zo\\u00eb \\u2713");

    // When I decode it
    const message = Message.decode(Buffer.from(fixture.body_raw));

    // Then I expect the characters themselves
    expect(message.kwargs.name).toBe("Zoë ✓");
  });

  it("decodes a raw UTF-8 body as well as an escaped one", () => {
    // Given the same body with the non-ASCII text as raw UTF-8 bytes
    const raw = JSON.stringify({ ...valid, kwargs: { name: "Zoë ✓" } });

    // When I decode it
    const message = Message.decode(Buffer.from(raw, "utf8"));

    // Then I expect the same text
    expect(message.kwargs.name).toBe("Zoë ✓");
  });

  it("decodes a nested pipe_target into a message of its own", () => {
    // Given the first message of a Python pipeline of three steps
    const message = Message.decode(Buffer.from(fixtures.pipeline_first_message!.body_raw));

    // When I decode its pipe_target, and that one's pipe_target
    const second = Message.fromDict(message.options.pipe_target);
    const third = Message.fromDict(second.options.pipe_target);

    // Then I expect each step with its own id, arguments and options
    expect(second.actorName).toBe("add");
    expect(second.args).toEqual([3]);
    expect(second.messageId).toBe("912ab1de-3b98-44e4-ac9f-78129460c11e");
    expect(third.actorName).toBe("report");
    expect(third.options).toEqual({ pipe_ignore: true });
    expect(third.options.pipe_target).toBeUndefined();
  });

  it("accepts a body without message_id and message_timestamp, as Python does", () => {
    // Given a body with only the five required keys
    const { message_id: _id, message_timestamp: _ts, ...required } = valid;
    const before = Date.now();

    // When I decode it
    const message = Message.decode(bytes(JSON.stringify(required)));

    // Then I expect a fresh UUID v4 and the current time, like Python's defaults
    expect(message.messageId).toMatch(UUID_V4);
    expect(message.messageTimestamp).toBeGreaterThanOrEqual(before);
    expect(message.messageTimestamp).toBeLessThanOrEqual(Date.now());
    expect(Number.isInteger(message.messageTimestamp)).toBe(true);
  });

  it("keeps unknown options set by a Python producer", () => {
    // Given options opsq does not know
    const body = { ...valid, options: { group_completion_uuid: "abc", custom: { nested: [1] } } };

    // When I decode and re-encode the message
    const message = Message.decode(bytes(JSON.stringify(body)));
    const again = JSON.parse(message.encode().toString("utf8")) as MessageDict;

    // Then I expect the options unchanged
    expect(again.options).toEqual(body.options);
  });
});

describe("Message.decode errors", () => {
  it("rejects invalid JSON and keeps the raw bytes and a reason", () => {
    // Given a truncated body
    const data = bytes('{"queue_name": "default", ');

    // When I decode it
    const error = decodeError(data);

    // Then I expect a DecodeError holding the same bytes and saying why
    expect(error.data).toBe(data);
    expect(error.reason).toMatch(/invalid JSON/);
    expect(error.message).toContain(error.reason);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each(["NaN", "Infinity", "-Infinity"])("rejects %s, which Python may emit", (literal) => {
    // Given a Python body with a non-finite number in its args
    const data = bytes(JSON.stringify(valid).replace("[1,2]", `[1,${literal}]`));
    expect(new TextDecoder().decode(data)).toContain(literal);

    // When I decode it, then I expect a DecodeError instead of a crash
    const error = decodeError(data);
    expect(error.reason).toMatch(/invalid JSON/);
    expect(error.data).toBe(data);
  });

  it("rejects invalid UTF-8", () => {
    // Given a body with bytes that are not UTF-8
    const json = bytes(JSON.stringify({ ...valid, args: ["XX"] }));
    const data = new Uint8Array(json);
    const at = new TextDecoder().decode(json).indexOf("XX");
    data[at] = 0xff;
    data[at + 1] = 0xfe;

    // When I decode it
    const error = decodeError(data);

    // Then I expect the reason to name the encoding problem
    expect(error.reason).toMatch(/UTF-8/);
    expect(error.data).toBe(data);
  });

  it("rejects an extra top-level key, as Python's decoder does", () => {
    // Given a body with an eighth key
    const data = bytes(JSON.stringify({ ...valid, priority: 1 }));

    // When I decode it, then I expect the reason to name the key
    expect(decodeError(data).reason).toBe('unexpected key "priority"');
  });

  it.each(["queue_name", "actor_name", "args", "kwargs", "options"])("rejects a body without %s", (key) => {
    // Given a body missing one required key
    const body: Record<string, unknown> = { ...valid };
    delete body[key];

    // When I decode it, then I expect the reason to name the key
    expect(decodeError(bytes(JSON.stringify(body))).reason).toBe(`missing key "${key}"`);
  });

  it.each([
    ["queue_name", 1, "queue_name must be a queue name"],
    ["actor_name", null, "actor_name must be an actor name"],
    ["args", { 0: 1 }, "args must be an array"],
    ["kwargs", [], "kwargs must be an object"],
    ["kwargs", null, "kwargs must be an object"],
    ["options", "eta=1", "options must be an object"],
    ["message_id", 42, "message_id must be a non-empty string"],
    ["message_timestamp", "1795425561544", "message_timestamp must be a whole number"],
  ])("rejects %s = %j", (key, value, reason) => {
    // Given a body with a key of the wrong type
    const data = bytes(JSON.stringify({ ...valid, [key]: value }));

    // When I decode it, then I expect the reason to name the key
    expect(decodeError(data).reason.startsWith(reason)).toBe(true);
  });

  it.each([
    ["queue_name", ""],
    ["queue_name", "a/b"],
    ["queue_name", "9lives"],
    ["queue_name", "q".repeat(253)],
    ["actor_name", ""],
    ["actor_name", "has space"],
    ["message_id", ""],
    ["message_timestamp", 1.5],
    ["message_timestamp", -1],
    ["message_timestamp", 1e300],
  ])("rejects %s = %j, which Dramatiq never sends", (key, value) => {
    // Given a body whose field has the right type but a value out of Dramatiq's rules
    const data = bytes(JSON.stringify({ ...valid, [key]: value }));

    // When I decode it, then I expect a DecodeError naming the field and the value
    const error = decodeError(data);
    expect(error.reason).toContain(`${key} must be`);
    expect(error.reason.length).toBeLessThan(300);
  });

  it("accepts fractional durations and eta, as a Python producer's Retry(delay=0.5 * n) makes", () => {
    // Given a body whose eta and time limit are not whole numbers of milliseconds
    const options = { eta: 1_795_425_561_544.5, time_limit: 1_500.5, min_backoff: 0.5 };
    const data = bytes(JSON.stringify({ ...valid, options }));

    // When I decode it, then I expect the values kept as they were
    expect(Message.decode(data).options).toMatchObject(options);
  });

  it.each([
    ["eta", "soon"],
    ["eta", Number.MAX_VALUE],
    ["eta", -1],
    ["broker_priority", 300],
    ["broker_priority", -1],
    ["broker_priority", 1.5],
    ["retries", -1],
    ["retries", "2"],
    ["max_retries", "abc"],
    ["min_backoff", "abc"],
    ["max_backoff", Number.MAX_VALUE],
    ["time_limit", 0],
    ["time_limit", -5],
    ["time_limit", "x"],
    ["max_age", -1],
    ["result_ttl", 0],
    ["delay", "1s"],
    ["store_results", "yes"],
    ["notify_shutdown", 1],
    ["pipe_ignore", "true"],
    ["on_success", ""],
    ["on_failure", 5],
    ["on_retry_exhausted", "a b"],
    ["traceback", 42],
    ["pipe_target", "next"],
    ["group_completion_callbacks", {}],
  ])("rejects options.%s = %j", (key, value) => {
    // Given a body with an option opsq reads, set to a value out of its type or range
    const data = bytes(JSON.stringify({ ...valid, options: { [key]: value } }));

    // When I decode it, then I expect a DecodeError naming the option
    expect(decodeError(data).reason).toMatch(new RegExp(`^options\\.${key} must be .*, got `));
  });

  it("rejects a nested pipe_target or group callback that breaks a rule, naming where", () => {
    // Given a pipeline whose second step has a bad priority, and a group callback with a bad queue
    const step = (options: object) => ({ ...valid, options });
    const piped = {
      ...valid,
      options: { pipe_target: step({ pipe_target: step({ broker_priority: 300 }) }) },
    };
    const grouped = {
      ...valid,
      options: { group_completion_callbacks: [step({}), { ...valid, queue_name: "" }] },
    };

    // When I decode them, then I expect the reason to give the path of the bad value
    expect(decodeError(bytes(JSON.stringify(piped))).reason).toMatch(
      /^options\.pipe_target\.options\.pipe_target\.options\.broker_priority must be/,
    );
    expect(decodeError(bytes(JSON.stringify(grouped))).reason).toMatch(
      /^options\.group_completion_callbacks\[1\]\.queue_name must be/,
    );
  });

  it("walks a long pipeline without recursion", () => {
    // Given a pipeline 20,000 steps long (deeper than a recursive check could go), valid
    let target: Record<string, unknown> = { ...valid };
    for (let i = 0; i < 20_000; i++) {
      target = { ...valid, options: { pipe_target: target } };
    }

    // When I build a message from it, then I expect no stack overflow
    expect(Message.fromDict(target).options.pipe_target).toBeDefined();
  });

  it("keeps unknown options, and null as unset, untouched", () => {
    // Given options a third-party middleware sets, and known options set to null
    const options = { tenant: { id: 7 }, x_custom: "abc", eta: null, time_limit: null, max_retries: null };

    // When I decode the body, then I expect every option as it was sent
    const message = Message.decode(bytes(JSON.stringify({ ...valid, options })));
    expect(message.options).toEqual(options);
  });

  it.each([
    ["eta", 32503680000000],
    ["broker_priority", 255],
    ["broker_priority", 0],
    ["time_limit", 2 ** 31],
    ["max_age", 0],
    ["retries", 0],
  ])("accepts options.%s = %j, in range", (key, value) => {
    // When I decode a body with a valid option, then I expect it kept
    const message = Message.decode(bytes(JSON.stringify({ ...valid, options: { [key]: value } })));
    expect(message.options[key]).toBe(value);
  });

  it.each([
    ["an array", "[1, 2]"],
    ["a string", '"hello"'],
    ["null", "null"],
    ["empty", ""],
  ])("rejects a body that is %s", (_what, text) => {
    // When I decode a body that is not a JSON object, then I expect a DecodeError
    const error = decodeError(bytes(text));
    expect(error.reason).toMatch(/not a JSON object|invalid JSON/);
  });
});

describe("Message.encode", () => {
  it("writes exactly the seven keys with the types Python accepts", () => {
    // Given a message made by opsq, with kwargs and options
    const message = new Message({
      queueName: "math",
      actorName: "add",
      args: [1, "two", { x: [null] }],
      kwargs: { y: 2 },
      options: { max_retries: 3 },
    });

    // When I encode it
    const body = JSON.parse(message.encode().toString("utf8")) as Record<string, unknown>;

    // Then I expect the seven keys and nothing else, each with Python's type
    expect(Object.keys(body).sort()).toEqual(WIRE_KEYS);
    expect(body.queue_name).toBe("math");
    expect(body.actor_name).toBe("add");
    expect(body.args).toEqual([1, "two", { x: [null] }]);
    expect(body.kwargs).toEqual({ y: 2 });
    expect(body.options).toEqual({ max_retries: 3 });
    expect(body.message_id).toMatch(UUID_V4);
    expect(Number.isInteger(body.message_timestamp)).toBe(true);
  });

  it("round-trips every Dramatiq fixture", () => {
    for (const [name, fixture] of Object.entries(fixtures)) {
      // Given a decoded Python message
      const message = Message.decode(Buffer.from(fixture.body_raw));

      // When I encode it again and decode the result
      const body = JSON.parse(message.encode().toString("utf8")) as unknown;
      const again = Message.decode(message.encode());

      // Then I expect the same body (key order and escaping aside)
      expect(body, name).toEqual(fixture.body);
      expect(again.asDict(), name).toEqual(fixture.body);
    }
  });

  it("drops options whose value is undefined", () => {
    // Given a message with an undefined option
    const message = new Message({ queueName: "q", actorName: "a", args: [], options: { eta: undefined } });

    // When I encode it, then I expect no eta key at all
    const body = JSON.parse(message.encode().toString("utf8")) as MessageDict;
    expect(Object.keys(body.options)).toEqual([]);
  });
});

describe("Message copies", () => {
  it("withOptions merges options and removes keys set to undefined, leaving the original alone", () => {
    // Given a delayed message
    const message = new Message({
      queueName: "q.DQ",
      actorName: "a",
      args: [1],
      options: { eta: 123, retries: 2 },
    });

    // When I remove its eta and add an option
    const copy = message.withOptions({ eta: undefined, traceback: "boom" });

    // Then I expect a new message with the same identity and the new options
    expect(copy.options).toEqual({ retries: 2, traceback: "boom" });
    expect(copy.messageId).toBe(message.messageId);
    expect(copy.messageTimestamp).toBe(message.messageTimestamp);
    expect(message.options).toEqual({ eta: 123, retries: 2 });
  });

  it("copy replaces fields and keeps id and timestamp", () => {
    // Given a message
    const message = new Message({ queueName: "q", actorName: "a", args: [1] });

    // When I copy it to the delay queue with other args
    const copy = message.copy({ queueName: "q.DQ", args: [2] });

    // Then I expect the changes, and the same id and timestamp
    expect(copy.queueName).toBe("q.DQ");
    expect(copy.args).toEqual([2]);
    expect(copy.messageId).toBe(message.messageId);
    expect(copy.messageTimestamp).toBe(message.messageTimestamp);
    expect(message.queueName).toBe("q");
  });
});
