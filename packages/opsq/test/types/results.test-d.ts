/**
 * Compile-time tests of results and groups: result types flow from the actor's return type.
 */
import { describe, expectTypeOf, it } from "vitest";
import {
  defineActor,
  getResult,
  group,
  MemoryResultBackend,
  type Message,
  type ResultBackend,
  Results,
} from "../../src/index.js";
import { StubBroker } from "../../src/testing.js";

const backend: ResultBackend = new MemoryResultBackend();
const broker = new StubBroker({ middleware: [new Results({ backend })] });
const add = defineActor("add", (x: number, y: number) => x + y, { broker, storeResults: true });
const greet = defineActor("greet", async (name: string) => ({ text: `hi ${name}` }), {
  broker,
  resultTtlMs: 60_000,
});

describe("getResult", () => {
  it("is typed from the actor's (awaited) return type", async () => {
    const sent = await add.send(1, 2);
    expectTypeOf(getResult(sent, { backend })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(getResult(greet.message("a"), { block: true, timeoutMs: 1 })).toEqualTypeOf<
      Promise<{ text: string }>
    >();
    expectTypeOf(backend.getResult(sent)).toEqualTypeOf<Promise<number>>();
    const untyped: Message = sent as unknown as Message;
    expectTypeOf(getResult(untyped)).toEqualTypeOf<Promise<unknown>>();
  });

  it("accepts storeResults and resultTtlMs as actor and message options", () => {
    add.sendWithOptions({ args: [1, 2], storeResults: true, resultTtlMs: 1_000 });
    // @ts-expect-error storeResults is a boolean
    add.sendWithOptions({ args: [1, 2], storeResults: "yes" });
  });
});

describe("group", () => {
  it("types getResults as a tuple of each member's result", async () => {
    const g = group([add.message(1, 2), greet.message("b")], { broker });
    expectTypeOf(g.getResults()).toEqualTypeOf<Promise<[number, { text: string }]>>();
    expectTypeOf(g.addCompletionCallback(add.message(0, 0))).toEqualTypeOf(g);
  });
});
