/**
 * Dramatiq's bytes: every golden body recorded from Python Dramatiq 2.2
 * (`fixtures/dramatiq/messages.json`, `fidelity.json`) is what opsq's encoder writes for the
 * same message, and re-publishing a body keeps its `args`/`kwargs` bytes.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { pipeline } from "../../src/composition.js";
import { Message } from "../../src/message.js";
import { asciiJson, memberTexts } from "../../src/message-encoding.js";
import { Pipelines } from "../../src/middleware/pipelines.js";
import { Retries } from "../../src/middleware/retries.js";
import { loadMessageFixtures, quietLogger, sleep, workerPool } from "./helpers.js";

interface FidelityCase {
  note: string;
  body_raw?: string;
}

const messages = loadMessageFixtures();
const fidelity = (
  JSON.parse(
    readFileSync(new URL("../integration/fixtures/dramatiq/fidelity.json", import.meta.url), "utf8"),
  ) as { cases: Record<string, FidelityCase> }
).cases;
const golden: [string, string][] = [
  ...Object.entries(messages).map(([name, c]): [string, string] => [name, c.body_raw]),
  ...Object.entries(fidelity)
    .filter(([, c]) => c.body_raw !== undefined)
    .map(([name, c]): [string, string] => [name, c.body_raw!]),
];

/** The body with its id and timestamp (and those of nested messages) set to fixed values. */
function withoutIds(body: string): string {
  return body
    .replace(/"message_id":"[0-9a-f-]{36}"/g, '"message_id":"ID"')
    .replace(/"message_timestamp":\d+/g, '"message_timestamp":0');
}

describe("asciiJson", () => {
  it("escapes non-ASCII and DEL as Python's json.dumps does, astral characters as surrogate pairs", () => {
    expect(asciiJson({ name: "Zoë ✓ 日本", emoji: "😀", del: "\u007f", ascii: 'a/b\n"c"' })).toBe(
      '{"name":"Zo\\u00eb \\u2713 \\u65e5\\u672c","emoji":"\\ud83d\\ude00","del":"\\u007f","ascii":"a/b\\n\\"c\\""}',
    );
  });
});

/** The text of a body's args and kwargs. */
function argumentSpans(text: string): { args: string | undefined; kwargs: string | undefined } {
  const members = memberTexts(text);
  return { args: members.get("args"), kwargs: members.get("kwargs") };
}

describe("memberTexts", () => {
  it("finds the text of args and kwargs, whatever the spacing, nesting and escaped quotes", () => {
    const text =
      ' { "options" : {"args":[9]}, "args" : [ 1.0, "a\\"]}\\\\", {"b": [2e300]} ] ,"kwargs":{"k":-0.0} }';
    expect(JSON.parse(text)).toBeTruthy();
    expect(argumentSpans(text)).toEqual({
      args: '[ 1.0, "a\\"]}\\\\", {"b": [2e300]} ]',
      kwargs: '{"k":-0.0}',
    });
  });
});

describe("Message.encode: Dramatiq's bytes", () => {
  it.each(golden)("re-encodes the decoded golden body %s byte for byte", (_name, raw) => {
    expect(Message.decode(Buffer.from(raw)).encode().toString()).toBe(raw);
  });

  it.each(Object.entries(messages).map(([name, c]) => [name, c.body_raw]))(
    "writes the golden body %s from plain values (no received text to re-use)",
    (_name, raw) => {
      const message = Message.fromDict(JSON.parse(raw));
      expect(message.encode().toString()).toBe(raw);
    },
  );

  it("writes kwargs, unicode and callback options built with opsq's API as Dramatiq does", () => {
    const broker = new StubBroker({ logger: quietLogger() });
    const add = defineActor("add", (x: number) => x, { queue: "fixtures", broker });
    const message = add.messageWithOptions({
      args: [1],
      kwargs: { y: 2, name: "Zoë ✓" },
      wireOptions: { on_success: "report", on_failure: "report", max_retries: 3, time_limit: 5000 },
    });
    expect(withoutIds(message.encode().toString())).toBe(
      withoutIds(messages.kwargs_unicode_callbacks!.body_raw),
    );
  });

  it("writes a pipeline's first message, with its nested pipe_target, as Dramatiq does", () => {
    const broker = new StubBroker({ logger: quietLogger() });
    const add = defineActor("add", (x: number, y: number) => x + y, { queue: "fixtures", broker });
    const report = defineActor("report", () => undefined, { queue: "fixtures", broker });
    const first = pipeline(
      [
        add.message(1, 2),
        add.pipeMessage(3),
        report.messageWithOptions({ wireOptions: { pipe_ignore: true } }),
      ],
      broker,
    ).messages[0]!;
    expect(withoutIds(first.encode().toString())).toBe(withoutIds(messages.pipeline_first_message!.body_raw));
  });

  it("writes a delayed message as Dramatiq does, eta aside", async () => {
    const published: string[] = [];
    class Recording extends StubBroker {
      protected override async publish(message: Message, body: Buffer): Promise<void> {
        published.push(body.toString());
        return super.publish(message, body);
      }
    }
    const broker = new Recording({ logger: quietLogger() });
    const probe = defineActor("wire_probe", (_n: number) => undefined, { queue: "harness-wire", broker });
    await probe.sendWithOptions({ args: [2], delayMs: 60_000 });
    const eta = /"eta":\d+/;
    expect(withoutIds(published[0]!).replace(eta, '"eta":0')).toBe(
      withoutIds(messages.delayed!.body_raw).replace(eta, '"eta":0'),
    );
  });
});

describe("Re-publishing keeps the args and kwargs bytes received", () => {
  const pool = workerPool();
  afterEach(() => pool.stopAll());

  it("retries numbers_unicode_sent with the args/kwargs bytes of Dramatiq's numbers_unicode_retry_parked_in_dq", async () => {
    // Given a worker whose actor fails once, and a body Python sent with numbers JS cannot hold
    const published: string[] = [];
    class Recording extends StubBroker {
      protected override async publish(message: Message, body: Buffer): Promise<void> {
        published.push(body.toString());
        return super.publish(message, body);
      }
    }
    const broker = new Recording({
      logger: quietLogger(),
      middleware: [new Retries({ minBackoffMs: 60_000 })],
    });
    defineActor(
      "flaky",
      () => {
        throw new Error("boom once");
      },
      { queue: "fidelity", broker },
    );
    await pool.start(broker);

    // When it arrives and fails
    broker.publishRaw("fidelity", fidelity.numbers_unicode_sent!.body_raw!);
    const deadline = Date.now() + 10_000;
    while (published.length === 0 && Date.now() < deadline) {
      await sleep(10);
    }

    // Then the retry parked in the .DQ carries the args and kwargs bytes Dramatiq's does
    const retry = published[0]!;
    const parked = fidelity.numbers_unicode_retry_parked_in_dq!.body_raw!;
    expect(argumentSpans(retry)).toEqual(argumentSpans(parked));
    // And, traceback, requeue_timestamp and eta aside, the same bytes
    const volatile = /"traceback":"(?:[^"\\]|\\.)*","requeue_timestamp":\d+,"eta":\d+/;
    expect(retry.replace(volatile, "…")).toBe(parked.replace(volatile, "…"));
  });

  it("writes replaced args from their values, and keeps the received kwargs", () => {
    const raw =
      '{"queue_name":"q","actor_name":"a","args":[1.0],"kwargs":{"x":2.0},"options":{},"message_id":"m","message_timestamp":1}';
    const message = Message.decode(Buffer.from(raw));
    expect(message.args).toEqual([1]);
    expect(
      message
        .copy({ args: [3] })
        .encode()
        .toString(),
    ).toBe(raw.replace("[1.0]", "[3]"));
    expect(message.withOptions({ retries: 1 }).encode().toString()).toBe(
      raw.replace('"options":{}', '"options":{"retries":1}'),
    );
  });
});

describe("Releasing a due delayed message keeps the args and kwargs bytes received", () => {
  const pool = workerPool();
  afterEach(() => pool.stopAll());

  it("moves a Python body from q.DQ to q with its numbers as sent", async () => {
    // Given a worker, and a due delayed body with numbers JS cannot hold
    const published: string[] = [];
    class Recording extends StubBroker {
      protected override async publish(message: Message, body: Buffer): Promise<void> {
        published.push(body.toString());
        return super.publish(message, body);
      }
    }
    const broker = new Recording({ logger: quietLogger() });
    const seen: unknown[][] = [];
    defineActor("later", (...args: unknown[]) => void seen.push(args), { queue: "fidelity", broker });
    await pool.start(broker);
    const args = '[1.0,9007199254740993,-0.0,{"big":9223372036854775808}]';
    const kwargs = '{"ratio":2.0,"name":"\\u00e9"}';

    // When it arrives in the .DQ, due
    broker.publishRaw(
      "fidelity.DQ",
      `{"queue_name":"fidelity.DQ","actor_name":"later","args":${args},"kwargs":${kwargs},"options":{"eta":1},"message_id":"m","message_timestamp":1}`,
    );
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) {
      await sleep(10);
    }

    // Then the copy published to the queue has the same args and kwargs bytes, and the handler plain values
    expect(published[0]).toBe(
      `{"queue_name":"fidelity","actor_name":"later","args":${args},"kwargs":${kwargs},"options":{},"message_id":"m","message_timestamp":1}`,
    );
    expect(seen[0]).toEqual([1, 9007199254740992, -0, { big: 2 ** 63 }, { ratio: 2, name: "é" }]);
  });
});

describe("Re-publishing keeps the bytes of a nested pipe_target", () => {
  const third =
    '{"queue_name":"q","actor_name":"c","args":[2.0],"kwargs":{},"options":{"pipe_ignore":true},"message_id":"m3","message_timestamp":1}';
  const second = `{"queue_name":"q","actor_name":"b","args":[1.0,9223372036854775808],"kwargs":{"r":2.0},"options":{"pipe_ignore":true,"pipe_target":${third}},"message_id":"m2","message_timestamp":1}`;
  const first = `{"queue_name":"q","actor_name":"a","args":[],"kwargs":{},"options":{"pipe_target":${second}},"message_id":"m1","message_timestamp":1}`;
  const pool = workerPool();
  afterEach(() => pool.stopAll());

  it("in a retry of the first step, and in the next steps built from it", () => {
    const message = Message.decode(Buffer.from(first));
    expect(message.withOptions({ retries: 1 }).encode().toString()).toBe(
      first.replace(`"pipe_target":${second}}`, `"pipe_target":${second},"retries":1}`),
    );
    const next = Message.fromDict(message.options.pipe_target);
    expect(next.encode().toString()).toBe(second);
    const withResult = next.copy({ args: [1, 2, 3] });
    expect(withResult.encode().toString()).toBe(second.replace("[1.0,9223372036854775808]", "[1,2,3]"));
    expect(Message.fromDict(next.options.pipe_target).encode().toString()).toBe(third);
  });

  it("when the Pipelines middleware enqueues steps that ignore the result", async () => {
    // Given a pipeline of three steps built by Python, the last two ignoring the result
    const published: string[] = [];
    class Recording extends StubBroker {
      protected override async publish(message: Message, body: Buffer): Promise<void> {
        published.push(body.toString());
        return super.publish(message, body);
      }
    }
    const broker = new Recording({ logger: quietLogger(), middleware: [new Pipelines()] });
    for (const name of ["a", "b", "c"]) {
      defineActor(name, () => "result", { queue: "q", broker });
    }
    await pool.start(broker);

    // When the first step runs
    broker.publishRaw("q", first);
    const deadline = Date.now() + 10_000;
    while (published.length < 2 && Date.now() < deadline) {
      await sleep(10);
    }

    // Then each next step is published with the bytes Python wrote for it
    expect(published).toEqual([second, third]);
  });
});
