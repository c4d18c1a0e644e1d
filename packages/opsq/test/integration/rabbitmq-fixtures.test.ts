/**
 * Golden messages recorded from Python Dramatiq (`fixtures/dramatiq/messages.json`),
 * published byte for byte to RabbitMQ and consumed by an opsq worker: known
 * actors process them, unknown actors dead-letter them, and the worker goes on.
 *
 * The only change to a body is its queue name (the fixture's `harness-wire…` or
 * `fixtures` becomes the test's unique queue), so that pipelines and delays stay
 * inside the test's queues.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { loadFixture, RabbitTestBed, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

interface FixtureCase {
  note: string;
  routing_key?: string;
  properties?: { delivery_mode: number; priority?: number };
  body_raw: string;
  body: { options: Record<string, unknown> };
}

const cases = loadFixture<{ cases: Record<string, FixtureCase> }>("messages.json").cases;

const FIXTURE_QUEUE = /"queue_name":"(?:harness-wire(?:-prio|-retry|-backoff)?|fixtures)(\.DQ|\.XQ)?"/g;

/** The raw body with its queue renamed, and where to publish it (bodies found in a .XQ are replayed to `q`). */
function prepare(
  fixture: FixtureCase,
  queue: string,
): { body: string; routingKey: string; priority?: number } {
  const body = fixture.body_raw.replace(FIXTURE_QUEUE, (_match, suffix: string | undefined) =>
    suffix === ".DQ" ? `"queue_name":"${queue}.DQ"` : `"queue_name":"${queue}${suffix ?? ""}"`,
  );
  const routingKey = fixture.routing_key?.endsWith(".DQ") ? `${queue}.DQ` : queue;
  return { body, routingKey, priority: fixture.properties?.priority };
}

describe.runIf(available)("Dramatiq golden messages on RabbitMQ", () => {
  const rabbit = RabbitTestBed.use({ beforeAll, afterEach, afterAll });

  it("has the eight recorded cases", () => {
    expect(Object.keys(cases).sort()).toEqual(
      [
        "broker_priority",
        "delayed",
        "kwargs_unicode_callbacks",
        "nacked_in_xq",
        "pipeline_first_message",
        "retries_exhausted_in_xq",
        "retry_parked_in_dq",
        "plain",
      ].sort(),
    );
  });

  it("processes every case with the actors Python defined, and dead-letters the exhausted one unchanged", async () => {
    // Given opsq actors named as the Python harness's, on a priority queue
    const broker = rabbit.broker({ maxPriority: 10 });
    const queue = rabbit.admin.queue();
    const calls: { actor: string; args: unknown[] }[] = [];
    const record =
      (actor: string) =>
      (...args: unknown[]) =>
        void calls.push({ actor, args });
    defineActor("wire_probe", record("wire_probe"), { queue, broker });
    defineActor("wire_probe_prio", record("wire_probe_prio"), { queue, broker });
    defineActor("wire_backoff", record("wire_backoff"), { queue, broker });
    defineActor("report", record("report"), { queue, broker });
    defineActor(
      "wire_fail",
      () => {
        throw new Error("wire_fail always fails");
      },
      { queue, broker, maxRetries: 1 },
    );
    defineActor(
      "add",
      (x: number, y: number | { y: number }) => {
        calls.push({ actor: "add", args: [x, y] });
        return x + (typeof y === "number" ? y : y.y);
      },
      { queue, broker },
    );
    await broker.declareQueueOnServer(queue);

    // When every recorded body is published as Python published it
    const prepared = Object.fromEntries(Object.entries(cases).map(([name, c]) => [name, prepare(c, queue)]));
    for (const { body, routingKey, priority } of Object.values(prepared)) {
      await rabbit.admin.publishRaw(routingKey, body, priority === undefined ? {} : { priority });
    }
    await rabbit.startWorker(broker, { concurrency: 4 });

    // Then each ran as it did in Python
    await waitFor(() => calls.length === 10 && calls.filter((c) => c.actor === "report").length === 2, {
      message: "ten calls, two of them reports",
    });
    await broker.join(queue, { timeoutMs: 10_000 });
    const argsOf = (actor: string) =>
      calls
        .filter((call) => call.actor === actor)
        .map((call) => JSON.stringify(call.args))
        .sort()
        .map((json) => JSON.parse(json) as unknown[]);
    expect(argsOf("wire_probe")).toEqual([[1, "two", { k: { x: 1 } }], [2], [4]]);
    expect(argsOf("wire_probe_prio")).toEqual([[3]]);
    expect(argsOf("wire_backoff")).toEqual([[]]);
    expect(argsOf("add")).toEqual([
      [1, 2],
      [1, { y: 2, name: "Zoë ✓" }],
      [3, 3],
    ]);
    const reports = argsOf("report");
    expect(reports).toContainEqual([]); // the pipeline's last step, with pipe_ignore
    const onSuccess = reports.find((args) => args.length === 2)!;
    expect(onSuccess[1]).toBe(3);
    expect(onSuccess[0]).toMatchObject({
      actor_name: "add",
      kwargs: { y: 2, name: "Zoë ✓" },
      message_id: "bad51ee0-5240-4305-8e58-df11d88d0466",
    });

    // And the exhausted message is dead-lettered byte for byte as it was published, with x-death
    const dead = await rabbit.admin.takeAll(`${queue}.XQ`);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.content.toString()).toBe(prepared.retries_exhausted_in_xq!.body);
    expect(dead[0]!.properties.headers?.["x-death"]?.[0]).toMatchObject({ reason: "rejected", queue });
  });

  it("dead-letters every case for actors it does not know, byte for byte, and keeps consuming", async () => {
    // Given a worker that knows none of the fixture's actors
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const seen: string[] = [];
    const other = defineActor("other", (text: string) => void seen.push(text), { queue, broker });
    await rabbit.startWorker(broker, { concurrency: 2 });

    // When the recorded bodies that are due now arrive
    const due = Object.values(cases).filter((c) => c.body.options.eta === undefined);
    expect(due).toHaveLength(6);
    const bodies = due.map((c) => prepare(c, queue).body);
    for (const body of bodies) {
      await rabbit.admin.publishRaw(queue, body);
    }
    await other.send("still here");

    // Then each is in the .XQ unchanged, rejected from the queue, and the worker still runs its actor
    await waitFor(() => seen.length === 1, { message: "the known actor ran" });
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === due.length, {
      message: "six dead letters",
    });
    const dead = await rabbit.admin.takeAll(`${queue}.XQ`);
    expect(dead.map((message) => message.content.toString()).sort()).toEqual(bodies.slice().sort());
    for (const message of dead) {
      expect(message.properties.headers?.["x-death"]?.[0]).toMatchObject({
        reason: "rejected",
        queue,
        count: 1,
      });
    }
    expect(seen).toEqual(["still here"]);
  });
});
