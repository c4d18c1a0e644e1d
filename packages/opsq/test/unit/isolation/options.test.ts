/**
 * The `isolation` actor option: validated when the actor is defined, one-line errors; actors
 * without it keep their handler as it is (nothing added on the hot path).
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { ActorDefinitionError } from "../../../src/errors.js";
import { IsolationLifecycle } from "../../../src/isolation/lifecycle.js";
import { resolveIsolation } from "../../../src/isolation/options.js";
import { quietLogger } from "../helpers.js";

const MODULE_URL = new URL("../../fixtures/isolation/import-fails.mjs", import.meta.url);

describe("resolveIsolation", () => {
  it("accepts a file: URL, a URL object or an absolute path, and defaults maxRunners to no limit", () => {
    // Given the three ways to name the module, Then I expect the same file: URL
    for (const module of [MODULE_URL.href, MODULE_URL, fileURLToPath(MODULE_URL)]) {
      expect(resolveIsolation("a", { mode: "thread", module })).toEqual({
        mode: "thread",
        moduleUrl: MODULE_URL.href,
        maxRunners: Number.POSITIVE_INFINITY,
      });
    }
    expect(resolveIsolation("a", { mode: "process", module: MODULE_URL, maxRunners: 2 })).toMatchObject({
      mode: "process",
      maxRunners: 2,
    });
  });

  it.each([
    ["not an object", "thread", /option "isolation" must be an object/],
    [
      "an unknown key",
      { mode: "thread", module: MODULE_URL, timeoutMs: 5 },
      /unknown isolation option "timeoutMs"/,
    ],
    [
      "a bad mode",
      { mode: "fiber", module: MODULE_URL },
      /isolation\.mode must be "thread" or "process", got "fiber"/,
    ],
    [
      "no module",
      { mode: "thread" },
      /isolation\.module must be the file: URL or absolute path .*import\.meta\.url/,
    ],
    [
      "a relative path",
      { mode: "thread", module: "./actors.js" },
      /isolation\.module must be .* got "\.\/actors\.js"/,
    ],
    [
      "an http URL",
      { mode: "thread", module: new URL("https://example.com/a.js") },
      /isolation\.module must be/,
    ],
    [
      "a missing file",
      { mode: "thread", module: "/nowhere/actors.js" },
      /isolation\.module \/nowhere\/actors\.js does not exist/,
    ],
    [
      "maxRunners 0",
      { mode: "thread", module: MODULE_URL, maxRunners: 0 },
      /isolation\.maxRunners must be a whole number ≥ 1, got 0/,
    ],
    [
      "maxRunners 1.5",
      { mode: "thread", module: MODULE_URL, maxRunners: 1.5 },
      /isolation\.maxRunners must be a whole number ≥ 1, got 1\.5/,
    ],
  ])("rejects %s with a one-line ActorDefinitionError", (_case, value, reason) => {
    // Given a bad isolation option, When it is resolved, Then I expect a one-line error naming the actor
    const error = (() => {
      try {
        resolveIsolation("crunch", value);
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ActorDefinitionError);
    expect(error!.message).toMatch(/^actor "crunch": /);
    expect(error!.message).toMatch(reason);
    expect(error!.message).not.toContain("\n");
  });
});

describe("defineActor with isolation", () => {
  it("rejects a bad isolation option when the actor is defined", () => {
    // Given a broker, When an actor is defined with a relative module, Then I expect it refused
    const broker = new StubBroker({ logger: quietLogger() });
    expect(() =>
      defineActor("crunch", () => 1, { broker, isolation: { mode: "thread", module: "actors.js" } }),
    ).toThrow(ActorDefinitionError);
    expect(broker.actors.has("crunch")).toBe(false);
  });

  it("keeps a plain actor's handler as it is and adds no middleware", () => {
    // Given a plain actor
    const broker = new StubBroker({ logger: quietLogger() });
    const handler = (x: number) => x + 1;
    const plain = defineActor("plain", handler, { broker });

    // Then I expect the worker to call the handler itself, and the middleware stack untouched
    expect(plain.fn).toBe(handler);
    expect(broker.middleware.some((m) => m instanceof IsolationLifecycle)).toBe(false);
  });

  it("wraps an isolated actor's handler, adds the lifecycle middleware once, and call() stays in-process", async () => {
    // Given two isolated actors on one broker
    const broker = new StubBroker({ logger: quietLogger() });
    const handler = (x: number) => x * 2;
    const isolation = { mode: "thread", module: MODULE_URL } as const;
    const one = defineActor("iso_one", handler, { broker, isolation });
    defineActor("iso_two", handler, { broker, isolation });

    // Then I expect the worker's handler to be the isolating one, one IsolationLifecycle,
    // and call() to run the handler here (no runner started: the module would fail to import)
    expect(one.fn).not.toBe(handler);
    expect(broker.middleware.filter((m) => m instanceof IsolationLifecycle)).toHaveLength(1);
    await expect(one.call(21)).resolves.toBe(42);
  });
});
