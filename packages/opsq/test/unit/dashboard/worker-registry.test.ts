/** Workers fade out when they stop beating, and are forgotten later. */
import { describe, expect, it } from "vitest";
import type { RabbitmqConnection } from "../../../src/brokers/rabbitmq/connection.js";
import { WorkerRegistry } from "../../../src/dashboard/worker-registry.js";
import { type Beat, decodeBeat } from "../../../src/heartbeat/beat.js";

function beat(fields: Partial<Beat> = {}): Beat {
  return {
    v: 1,
    worker: "w1",
    host: "box",
    pid: 42,
    queues: ["emails"],
    concurrency: 8,
    inFlight: 1,
    delayedHeld: 0,
    acked: 10,
    failed: 1,
    deadLettered: 0,
    processed: { emails: 11 },
    delayed: {},
    startedAtMs: 0,
    sentAtMs: 0,
    intervalMs: 1_000,
    state: "running",
    ...fields,
  };
}

describe("WorkerRegistry", () => {
  it("shows a worker live, then late, then lost, then forgets it", () => {
    const registry = new WorkerRegistry({} as RabbitmqConnection);
    registry.record(beat(), 0);
    expect(registry.list(1_000)[0]!.freshness).toBe("live");
    expect(registry.list(3_000)[0]!.freshness).toBe("late");
    expect(registry.list(7_000)[0]!.freshness).toBe("lost");
    expect(registry.processed("emails")).toBe(11);
    expect(registry.list(21_000)).toEqual([]);
  });

  it("shows a stopped worker as stopped for a minute", () => {
    const registry = new WorkerRegistry({} as RabbitmqConnection);
    registry.record(beat({ state: "stopped" }), 0);
    expect(registry.list(10_000)[0]!.freshness).toBe("stopped");
    expect(registry.list(61_000)).toEqual([]);
  });
});

describe("decodeBeat", () => {
  it("decodes a beat and refuses anything else", () => {
    expect(decodeBeat(JSON.stringify(beat()))).toEqual(beat());
    expect(decodeBeat("not json")).toBeUndefined();
    expect(decodeBeat(JSON.stringify({ ...beat(), v: 2 }))).toBeUndefined();
    expect(decodeBeat(JSON.stringify({ ...beat(), pid: "x" }))).toBeUndefined();
  });
});
