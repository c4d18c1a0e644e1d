import { describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { setBroker } from "../../src/broker.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { pipeline } from "../../src/composition.js";
import { OpsqError } from "../../src/errors.js";
import { Message } from "../../src/message.js";
import { loadMessageFixtures, quietLogger, takeAll } from "./helpers.js";

function stubBroker(): StubBroker {
  return new StubBroker({ logger: quietLogger() });
}

describe("pipeline", () => {
  it("nests each step in the previous one's pipe_target, like Dramatiq", () => {
    // Given the three steps of Dramatiq's fixture
    const broker = stubBroker();
    // (add is variadic: a step's last argument comes from the previous step, see actor.test-d.ts)
    const add = defineActor("add", (...xs: number[]) => xs.reduce((a, b) => a + b, 0), {
      broker,
      queue: "fixtures",
    });
    const report = defineActor("report", () => undefined, { broker, queue: "fixtures" });
    const steps = [add.message(1, 2), add.message(3), report.messageWithOptions({ pipeIgnore: true })];

    // When I chain them
    const chained = pipeline(steps, broker);

    // Then I expect the first message shaped as Python's, ids and timestamps aside
    const strip = (dict: Record<string, unknown>): unknown =>
      JSON.parse(JSON.stringify(dict), (key, value) =>
        key === "message_id" || key === "message_timestamp" ? undefined : value,
      );
    const python = loadMessageFixtures().pipeline_first_message!.body;
    expect(strip(chained.messages[0]!.asDict() as never)).toEqual(strip(python as never));
    expect(chained.messages).toHaveLength(3);
    expect(chained.messages[2]!.asDict()).toEqual(steps[2]!.asDict());
    expect(chained.messages[1]!.options.pipe_target).toEqual(steps[2]!.asDict());
    expect(chained.messages.map((m) => m.messageId)).toEqual(steps.map((m) => m.messageId));
  });

  it("run() enqueues only the first step, optionally delayed", async () => {
    // Given a two-step pipeline
    const broker = stubBroker();
    const a = defineActor("a", () => 1, { broker });
    const b = defineActor("b", (_x?: number) => 2, { broker });
    const chained = pipeline([a.message(), b.message()], broker);

    // When I run it with a delay
    const first = await chained.run({ delayMs: 1000 });

    // Then I expect the first step parked in the delay queue, and nothing else sent
    expect(first.queueName).toBe("default.DQ");
    expect(first.messageId).toBe(chained.messages[0]!.messageId);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 0, delayed: 1, deadLettered: 0 });
    const [parked] = await takeAll(broker, "default.DQ");
    expect(parked!.options.pipe_target).toMatchObject({ actor_name: "b" });
  });

  it("uses the global broker when none is given", async () => {
    const broker = stubBroker();
    setBroker(broker);
    await pipeline([new Message({ queueName: "q", actorName: "x", args: [] })]).run();
    expect(await broker.getQueueCounts("q")).toMatchObject({ ready: 1 });
  });

  it("refuses an empty pipeline", () => {
    expect(() => pipeline([])).toThrow(OpsqError);
  });
});
