/**
 * Compile-time tests of the public actor API: what users' code may and may not write.
 * Checked by tsc through vitest's typecheck mode (`vitest run --project types`).
 */
import { describe, expectTypeOf, it } from "vitest";
import {
  type Actor,
  type ActorContext,
  defineActor,
  getContext,
  type Message,
  type Middleware,
  pipeline,
  type SendOptions,
} from "../../src/index.js";
import { StubBroker } from "../../src/testing.js";

const broker = new StubBroker();
const add = defineActor("add", (x: number, y: number) => x + y, { broker, queue: "math" });
const addAsync = defineActor("add_async", async (x: number, y: number) => x + y, { broker });
const ping = defineActor("ping", () => "pong", { broker });
const greet = defineActor("greet", (name?: string) => `hi ${name ?? "you"}`, { broker });
const withKwargs = defineActor("kw", (x: number, kwargs?: { y?: number }) => x + (kwargs?.y ?? 0), {
  broker,
});

describe("send", () => {
  it("is typed from the handler's parameters", () => {
    add.send(1, 2);
    // @ts-expect-error a string where a number is expected
    add.send("1", 2);
    // @ts-expect-error a missing argument
    add.send(1);
    // @ts-expect-error an extra argument
    add.send(1, 2, 3);
    ping.send();
    // @ts-expect-error ping takes no arguments
    ping.send(1);
    greet.send();
    greet.send("Zoë");
    withKwargs.send(1, { y: 2 });
    expectTypeOf(add.send).parameters.toEqualTypeOf<[x: number, y: number]>();
  });

  it("resolves to a message typed with the arguments and the awaited result", () => {
    expectTypeOf(add.send(1, 2)).resolves.toEqualTypeOf<Message<[x: number, y: number], number>>();
    expectTypeOf(addAsync.send(1, 2)).resolves.toEqualTypeOf<Message<[x: number, y: number], number>>();
    expectTypeOf(add.message(1, 2)).toEqualTypeOf<Message<[number, number], number>>();
    expectTypeOf(add.message(1, 2).args).toEqualTypeOf<[number, number]>();
    expectTypeOf(ping.send()).resolves.toEqualTypeOf<Message<[], string>>();
    expectTypeOf(add).toEqualTypeOf<Actor<[x: number, y: number], number>>();
    expectTypeOf(addAsync.call(1, 2)).resolves.toBeNumber();
    // @ts-expect-error message() is typed like send()
    add.message("1", 2);
  });
});

describe("sendWithOptions", () => {
  it("requires args when the handler has required parameters, and types them", () => {
    add.sendWithOptions({ args: [1, 2], delayMs: 30_000, maxRetries: 0 });
    // @ts-expect-error args are required for add
    add.sendWithOptions({ delayMs: 30_000 });
    // @ts-expect-error args are typed
    add.sendWithOptions({ args: ["1", 2] });
    // @ts-expect-error args are typed: one is missing
    add.sendWithOptions({ args: [1] });
    expectTypeOf(add.sendWithOptions({ args: [1, 2] })).resolves.toEqualTypeOf<
      Message<[x: number, y: number], number>
    >();
  });

  it("makes args optional when the handler needs none", () => {
    ping.sendWithOptions({ delayMs: 5 });
    ping.sendWithOptions({});
    greet.sendWithOptions({ timeLimitMs: 1000 });
    greet.sendWithOptions({ args: ["Zoë"] });
    // @ts-expect-error args still typed when optional
    greet.sendWithOptions({ args: [42] });
  });

  it("accepts the JSON-valued middleware options, kwargs and raw wire options", () => {
    add.sendWithOptions({
      args: [1, 2],
      kwargs: { z: 1 },
      delayMs: 1,
      maxRetries: 1,
      minBackoffMs: 1,
      maxBackoffMs: 2,
      timeLimitMs: 3,
      maxAgeMs: 4,
      notifyShutdown: true,
      onSuccess: ping,
      onFailure: "ping",
      onRetryExhausted: ping,
      pipeIgnore: false,
      brokerPriority: 5,
      wireOptions: { group_completion_uuid: "x" },
    });
  });

  it("rejects unknown option keys and actor-only options", () => {
    // @ts-expect-error a typo of maxRetries
    add.sendWithOptions({ args: [1, 2], maxRetires: 3 });
    // @ts-expect-error delay is in ms and named delayMs
    add.sendWithOptions({ args: [1, 2], delay: 3 });
    // @ts-expect-error retryWhen is a function: actor-only
    add.sendWithOptions({ args: [1, 2], retryWhen: () => true });
    // @ts-expect-error throws holds classes: actor-only
    add.sendWithOptions({ args: [1, 2], throws: [TypeError] });
    // @ts-expect-error the wrong type for an option
    add.sendWithOptions({ args: [1, 2], timeLimitMs: "10s" });
  });

  it("exposes SendOptions with the same rule", () => {
    expectTypeOf<{ args: [number, number] }>().toMatchTypeOf<SendOptions<[number, number]>>();
    expectTypeOf<{ delayMs: 1 }>().not.toMatchTypeOf<SendOptions<[number, number]>>();
    expectTypeOf<{ delayMs: 1 }>().toMatchTypeOf<SendOptions<[]>>();
  });
});

describe("defineActor", () => {
  it("accepts middleware options and rejects unknown ones", () => {
    defineActor("opts", () => 1, {
      broker,
      queue: "q",
      maxRetries: 3,
      retryWhen: (retries, error) => retries < 3 && !(error instanceof TypeError),
      throws: [TypeError, RangeError],
      timeLimitMs: 1000,
    });
    // @ts-expect-error a typo of maxRetries
    defineActor("typo", () => 1, { broker, maxRetires: 3 });
    // @ts-expect-error throws takes error classes
    defineActor("bad_throws", () => 1, { broker, throws: ["TypeError"] });
  });
});

describe("context and middleware", () => {
  it("gives handlers a typed context", () => {
    expectTypeOf(getContext()).toEqualTypeOf<ActorContext>();
    expectTypeOf(getContext().signal).toEqualTypeOf<AbortSignal>();
    expectTypeOf(getContext().retries).toBeNumber();
    expectTypeOf(getContext().redelivered).toBeBoolean();
    expectTypeOf(getContext().message).toEqualTypeOf<Message>();
  });

  it("accepts an object literal as middleware, with typed hook arguments", () => {
    const middleware: Middleware = {
      beforeProcessMessage(_broker, proxy) {
        expectTypeOf(proxy.signal).toEqualTypeOf<AbortSignal>();
      },
      afterProcessMessage(_broker, _proxy, outcome) {
        expectTypeOf(outcome.error).toEqualTypeOf<Error | undefined>();
      },
    };
    expectTypeOf(middleware).toMatchTypeOf<Middleware>();
    // @ts-expect-error hook names are checked
    const typo: Middleware = { beforeProcessMesage() {} };
    void typo;
  });

  it("chains typed messages in a pipeline", () => {
    const sum = defineActor("sum", (...xs: number[]) => xs.length, { broker });
    pipeline([add.message(1, 2), sum.message(3), ping.messageWithOptions({ pipeIgnore: true })], broker);
    // message() wants every argument; pipeMessage() leaves out the last one, which the pipeline supplies
    // @ts-expect-error add.message(3) lacks y
    pipeline([add.message(1, 2), add.message(3)], broker);
    pipeline([add.message(1, 2), add.pipeMessage(3)], broker);
    expectTypeOf(add.pipeMessage).parameters.toEqualTypeOf<[number]>();
    expectTypeOf(sum.pipeMessage).parameters.toEqualTypeOf<number[]>();
    // @ts-expect-error pipeMessage checks the arguments it takes
    add.pipeMessage("3");
  });
});
