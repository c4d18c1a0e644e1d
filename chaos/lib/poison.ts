/**
 * A corpus of malformed message bodies, each of which a worker must dead-letter (never run,
 * never crash on): invalid JSON and UTF-8, JSON that is not an object, missing and extra keys,
 * wrong types, NaN and Infinity, unknown actors (prototype names included), well-formed
 * messages whose arguments the actor rejects, huge payloads and deeply nested values.
 *
 * @module
 */
import { randomUUID } from "node:crypto";

/** One malformed body and the family it belongs to. */
export interface PoisonBody {
  kind: string;
  body: Buffer;
}

/** A deterministic pseudo-random generator (mulberry32), so a corpus is reproducible from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nested(depth: number, open: string, close: string, inner = "1"): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/**
 * Builds `count` malformed bodies for `queue` (the fixture's actor there is `chaos_work`,
 * which takes one integer). `huge` controls how many multi-megabyte bodies are included.
 */
export function poisonCorpus(
  queue: string,
  count: number,
  options: { huge: number; seed?: number },
): PoisonBody[] {
  const rand = random(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const valid = (overrides: Record<string, unknown> = {}, drop: string[] = []) => {
    const dict: Record<string, unknown> = {
      queue_name: queue,
      actor_name: "chaos_work",
      args: [1],
      kwargs: {},
      options: {},
      message_id: randomUUID(),
      message_timestamp: Date.now(),
      ...overrides,
    };
    for (const key of drop) {
      delete dict[key];
    }
    return dict;
  };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const text = (value: string) => Buffer.from(value);
  // Splices raw JSON text (NaN, Infinity, deep nesting) in place of a field's value.
  const withRaw = (key: string, raw: string, base = valid()) => {
    const marker = `"__RAW_${randomUUID()}__"`;
    return text(JSON.stringify({ ...base, [key]: JSON.parse(marker) }).replace(marker, raw));
  };
  const unknownActorNames = [
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "valueOf",
    "prototype",
    "",
    " ",
    "chaos_work ",
    "CHAOS_WORK",
    "chaos_work\u0000",
    "../chaos_work",
    "chaos_work.DQ",
    "execute_agent_task",
    "eval",
    "process.exit",
    "require('child_process')",
    "x".repeat(10_000),
    "ünïcødé_actor",
    "😀",
  ];
  const families: ((i: number) => PoisonBody)[] = [
    // Invalid JSON and encodings.
    () => ({
      kind: "invalid-json",
      body: text(
        pick(["", "{", "}", "{]", "nope", "{'a': 1}", "[1,2,", '{"a":1,}', "// x\n{}", '{"queue_name":']),
      ),
    }),
    () => ({ kind: "invalid-json", body: json(valid()).subarray(0, 5 + Math.floor(rand() * 80)) }),
    () => ({
      kind: "invalid-json",
      body: Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 512) }, () => Math.floor(rand() * 256))),
    }),
    () => ({
      kind: "invalid-utf8",
      body: Buffer.concat([text('{"queue_name":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), text('"}')]),
    }),
    () => ({ kind: "nan", body: withRaw("args", pick(["[NaN]", "[Infinity]", "[-Infinity]", "[1, NaN]"])) }),
    () => ({ kind: "nan", body: withRaw("message_timestamp", pick(["NaN", "Infinity", "-Infinity"])) }),
    () => ({ kind: "nan", body: withRaw("options", pick(['{"eta": NaN}', '{"retries": Infinity}'])) }),
    // JSON that is not an object.
    () => ({
      kind: "not-an-object",
      body: json(pick([null, true, false, 0, -1.5, "chaos_work", [], [valid()], 1e308])),
    }),
    // Missing keys.
    () => ({
      kind: "missing-key",
      body: json(valid({}, [pick(["queue_name", "actor_name", "args", "kwargs", "options"])])),
    }),
    () => ({ kind: "missing-key", body: json({}) }),
    // Extra keys.
    () => ({
      kind: "extra-key",
      body: json({
        ...valid(),
        [pick(["extra", "__proto__x", "constructor", "result", "ACTOR_NAME", "retries"])]: 1,
      }),
    }),
    () => ({
      kind: "extra-key",
      body: text(`${JSON.stringify(valid()).slice(0, -1)},"__proto__":{"admin":true}}`),
    }),
    // Wrong types.
    () => ({ kind: "wrong-type", body: json(valid({ queue_name: pick([1, null, [], {}, true]) })) }),
    () => ({
      kind: "wrong-type",
      body: json(valid({ actor_name: pick([1, null, ["chaos_work"], { name: "chaos_work" }, true]) })),
    }),
    () => ({ kind: "wrong-type", body: json(valid({ args: pick([1, "1", null, { 0: 1 }, true]) })) }),
    () => ({ kind: "wrong-type", body: json(valid({ kwargs: pick([[], "x", 1, null, true]) })) }),
    () => ({ kind: "wrong-type", body: json(valid({ options: pick([[], "x", 1, null, true]) })) }),
    () => ({ kind: "wrong-type", body: json(valid({ message_id: pick([1, null, [], {}, true]) })) }),
    () => ({
      kind: "wrong-type",
      body: json(valid({ message_timestamp: pick(["now", null, [], {}, true]) })),
    }),
    // Unknown actors.
    () => ({ kind: "unknown-actor", body: json(valid({ actor_name: pick(unknownActorNames) })) }),
    () => ({ kind: "unknown-actor", body: json(valid({ actor_name: `actor_${Math.floor(rand() * 1e9)}` })) }),
    // The right actor, arguments it refuses.
    () => ({
      kind: "bad-args",
      body: json(
        valid({ args: pick([[], ["1"], [1.5], [null], [1, 2, 3], [{}], [[1]], [true], [2 ** 60]]) }),
      ),
    }),
    () => ({ kind: "bad-args", body: json(valid({ kwargs: { n: 1 } })) }),
    // Deeply nested values.
    () => ({
      kind: "deep",
      body: withRaw("args", `[${nested(1_000 + Math.floor(rand() * 9_000), "[", "]")}]`),
    }),
    () => ({
      kind: "deep",
      body: withRaw("kwargs", nested(1_000 + Math.floor(rand() * 9_000), '{"a":', "}", "{}")),
    }),
    () => ({ kind: "deep", body: withRaw("args", nested(200_000, "[", "]")) }),
    () => ({
      kind: "deep",
      body: withRaw(
        "options",
        `{"pipe_target": ${nested(5_000, '{"a":', "}", "{}")}}`,
        valid({ args: ["x"] }),
      ),
    }),
    // Big (not huge) bodies.
    () => ({
      kind: "big",
      body: json(valid({ args: ["x".repeat(100_000 + Math.floor(rand() * 100_000))] })),
    }),
    () => ({
      kind: "big",
      body: json(valid({ actor_name: "nope", args: Array.from({ length: 20_000 }, (_, k) => k) })),
    }),
  ];
  const huge: PoisonBody[] = [
    { kind: "huge", body: json(valid({ args: ["h".repeat(4 * 1024 * 1024)] })) },
    { kind: "huge", body: Buffer.alloc(3 * 1024 * 1024, "{") },
    {
      kind: "huge",
      body: json(valid({ actor_name: "nope", kwargs: { blob: "b".repeat(2 * 1024 * 1024) } })),
    },
    { kind: "huge", body: withRaw("args", `[${nested(1_000_000, "[", "]")}]`) },
  ];
  const corpus = huge.slice(0, options.huge);
  for (let i = 0; corpus.length < count; i++) {
    corpus.push(families[i % families.length]!(i));
  }
  return corpus;
}
