import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { pipeline } from "../../../src/composition.js";
import { Pipelines } from "../../../src/middleware/pipelines.js";
import { Retries } from "../../../src/middleware/retries.js";
import { loadMessageFixtures, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function pipelineBroker(): StubBroker {
  return new StubBroker({
    middleware: [new Pipelines(), new Retries({ maxRetries: 0 })],
    logger: quietLogger(),
  });
}

/**
 * The actors of Dramatiq's pipeline fixture, on queue "fixtures", recording their calls.
 * `add` is variadic so that `add.message(3)` type-checks as a pipeline step (see actor.test-d.ts).
 */
function fixtureActors(broker: StubBroker) {
  const calls: [string, unknown[], number][] = [];
  const add = defineActor(
    "add",
    (...xs: number[]) => {
      calls.push(["add", xs, Date.now()]);
      return xs.reduce((a, b) => a + b, 0);
    },
    { broker, queue: "fixtures" },
  );
  const report = defineActor(
    "report",
    (...args: unknown[]) => {
      calls.push(["report", args, Date.now()]);
    },
    { broker, queue: "fixtures" },
  );
  return { add, report, calls };
}

/**
 * The calls the fixture's pipeline add(1, 2) → add(3) → report (pipeIgnore) makes: 1 + 2, then
 * 3 + 3, then report without the result.
 */
const FIXTURE_PIPELINE_CALLS = [
  ["add", [1, 2]],
  ["add", [3, 3]],
  ["report", []],
];

describe("Pipelines", () => {
  it("passes each step's result to the next, and respects pipeIgnore", async () => {
    // Given add → add → report(pipeIgnore)
    const broker = pipelineBroker();
    const { add, report, calls } = fixtureActors(broker);
    const worker = await pool.start(broker);

    // When the pipeline runs
    await pipeline(
      [add.message(1, 2), add.message(3), report.messageWithOptions({ pipeIgnore: true })],
      broker,
    ).run();
    await broker.join("fixtures");
    await worker.join();

    // Then I expect 1 + 2, then 3 + 3, then report without the result
    expect(calls.map(([name, args]) => [name, args])).toEqual(FIXTURE_PIPELINE_CALLS);
  });

  it("runs a fixed-arity step built with pipeMessage, the piped result as its last argument", async () => {
    // Given add(x, y) with both parameters required
    const broker = pipelineBroker();
    const seen: [number, number][] = [];
    const add = defineActor(
      "add2",
      (x: number, y: number) => {
        seen.push([x, y]);
        return x + y;
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When add(1, 2) pipes into add.pipeMessage(3)
    await pipeline([add.message(1, 2), add.pipeMessage(3)], broker).run();
    await broker.join("default");
    await worker.join();

    // Then I expect add(1, 2), then add(3, 3)
    expect(seen).toEqual([
      [1, 2],
      [3, 3],
    ]);
  });

  it("runs Python's pipeline message, nested pipe_target and all", async () => {
    // Given the actors of the fixture
    const broker = pipelineBroker();
    const { calls } = fixtureActors(broker);
    const worker = await pool.start(broker);

    // When Python's first pipeline message arrives
    broker.publishRaw("fixtures", loadMessageFixtures().pipeline_first_message!.body_raw);
    await broker.join("fixtures");
    await worker.join();

    // Then I expect the three steps in order
    expect(calls.map(([name, args]) => [name, args])).toEqual(FIXTURE_PIPELINE_CALLS);
  });

  it.each([
    ["the actor that just ran", true, false, []],
    ["only the next step's actor", false, true, [1]],
  ])(
    "checks an actor-level pipeIgnore on the actor that just ran, as Dramatiq: set on %s",
    async (_, onFirst, onSecond, expected) => {
      // Given first → second, with pipeIgnore set at the actor level on one of them
      const broker = pipelineBroker();
      const seen: unknown[][] = [];
      const first = defineActor("first", () => 1, { broker, pipeIgnore: onFirst });
      const second = defineActor("second", (...args: unknown[]) => void seen.push(args), {
        broker,
        pipeIgnore: onSecond,
      });
      const worker = await pool.start(broker);

      // When the pipeline runs
      await pipeline([first.message(), second.message()], broker).run();
      await broker.join("default");
      await worker.join();

      // Then I expect first's result dropped only when first itself sets pipeIgnore
      expect(seen).toEqual([expected]);
    },
  );

  it("delays a target by its options.delay", async () => {
    // Given a pipeline whose second step carries delay 60 ms
    const broker = pipelineBroker();
    const { add, calls } = fixtureActors(broker);
    const worker = await pool.start(broker);

    // When it runs
    await pipeline(
      [add.message(1, 1), add.messageWithOptions({ args: [1], wireOptions: { delay: 60 } })],
      broker,
    ).run();
    await broker.join("fixtures");
    await worker.join();

    // Then I expect the second step at least 60 ms after the first
    expect(calls).toHaveLength(2);
    expect(calls[1]![1]).toEqual([1, 2]);
    expect(calls[1]![2] - calls[0]![2]).toBeGreaterThanOrEqual(55);
  });

  it("delays a step built with messageWithOptions({ delayMs }), as Dramatiq's delay option", async () => {
    // Given a pipeline whose second step is built with delayMs 60
    const broker = pipelineBroker();
    const { add, calls } = fixtureActors(broker);
    const worker = await pool.start(broker);
    const step = add.messageWithOptions({ args: [1], delayMs: 60 });
    expect(step.options.delay).toBe(60);

    // When it runs
    await pipeline([add.message(1, 1), step], broker).run();
    await broker.join("fixtures");
    await worker.join();

    // Then I expect the second step at least 60 ms after the first
    expect(calls).toHaveLength(2);
    expect(calls[1]![1]).toEqual([1, 2]);
    expect(calls[1]![2] - calls[0]![2]).toBeGreaterThanOrEqual(55);
  });

  it("keeps sendWithOptions' delayMs out of the message's options, as Dramatiq's send_with_options", async () => {
    const broker = pipelineBroker();
    const { add } = fixtureActors(broker);
    const sent = await add.sendWithOptions({ args: [1], delayMs: 60 });
    expect(sent.options.delay).toBeUndefined();
  });

  it("stops at a failing step", async () => {
    // Given a pipeline whose first step fails
    const broker = pipelineBroker();
    const { report, calls } = fixtureActors(broker);
    const boom = defineActor(
      "boom",
      () => {
        throw new Error("no");
      },
      { broker, queue: "fixtures" },
    );
    const worker = await pool.start(broker);

    // When it runs
    await pipeline([boom.message(), report.message()], broker).run();
    await broker.join("fixtures");
    await worker.join();

    // Then I expect the next step not enqueued
    expect(calls).toEqual([]);
    expect(broker.deadLetters("fixtures")).toHaveLength(1);
  });
});
