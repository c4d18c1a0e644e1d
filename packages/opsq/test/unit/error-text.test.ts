import { describe, expect, it } from "vitest";
import {
  describeError,
  describeStack,
  describeTraceback,
  errorNameAndMessage,
  serializeError,
} from "../../src/error-text.js";

/** An Error whose `key` getter throws. */
function throwingGetter(key: "message" | "stack" | "name" | "cause"): Error {
  const error = new Error("hidden");
  Object.defineProperty(error, key, {
    get() {
      throw new Error(`${key} getter threw`);
    },
  });
  return error;
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe("error text is total", () => {
  it.each([
    ["a message getter that throws", throwingGetter("message")],
    ["a stack getter that throws", throwingGetter("stack")],
    ["a name getter that throws", throwingGetter("name")],
    ["a cause getter that throws", throwingGetter("cause")],
    ["a revoked proxy", revokedProxy()],
    [
      "an object whose toString throws",
      {
        toString: () => {
          throw new Error("no");
        },
      },
    ],
    ["a symbol", Symbol("s")],
    ["null", null],
  ])("describes %s without throwing", (_what, thrown) => {
    expect(typeof describeError(thrown)).toBe("string");
    expect(typeof describeStack(thrown)).toBe("string");
    expect(typeof serializeError(thrown).message).toBe("string");
    expect(typeof errorNameAndMessage(thrown).type).toBe("string");
  });

  it("names an unreadable message as such", () => {
    expect(describeError(throwingGetter("message"))).toBe(
      "Error: (its message cannot be read: the getter threw)",
    );
  });

  it("follows a circular cause chain once", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(serializeError(a).message).toBe("a: b");
  });

  it("bounds a long cause chain and a long message", () => {
    let error = new Error("e0");
    for (let i = 1; i < 1_000; i++) {
      error = new Error(`e${i}`, { cause: error });
    }
    expect(serializeError(error).message.split(": ").length).toBeLessThanOrEqual(10);
    expect(describeError(new Error("x".repeat(100_000))).length).toBeLessThanOrEqual(1_000);
  });
});

describe("error text is redacted", () => {
  it("redacts messages and stacks of the whole cause chain and of aggregated errors", () => {
    // Given an error caused by an AggregateError whose errors name URLs with passwords
    const error = new Error("call failed", {
      cause: new AggregateError(
        [new Error("GET https://key:top/secret@llm.example/v1")],
        "postgres://a:b c@db/x",
      ),
    });

    // When I serialize it, then I expect no password anywhere, and the chain kept
    const text = JSON.stringify(serializeError(error));
    expect(text).not.toContain("top/secret");
    expect(text).not.toContain("b c@");
    expect(text).toContain("https://key:***@llm.example/v1");
    expect(text).toContain("postgres://a:***@db/x");
    expect(text).toContain("caused by: AggregateError");
  });

  it("leaves an already serialized error as it is, so a second serializer changes nothing", () => {
    const once = serializeError(new Error("outer", { cause: new Error("amqp://u:p@h") }));
    expect(serializeError(once)).toEqual(once);
    expect(once.type).toBe("Error");
    expect(serializeError({ type: "x", message: "at amqp://u:pw@h" }).message).toBe("at amqp://u:***@h");
  });

  it("keeps primitive fields (code) and redacts string ones", () => {
    const error = Object.assign(new Error("refused"), { code: "ECONNREFUSED", url: "amqp://u:p@h" });
    expect(serializeError(error)).toMatchObject({ code: "ECONNREFUSED", url: "amqp://u:***@h" });
  });
});

describe("describeTraceback", () => {
  it("keeps the stack and ends with the line `<ErrorName>: <message>` and a newline, as Python's", () => {
    const error = new RangeError("too far");
    const traceback = describeTraceback(error);
    expect(traceback.startsWith(error.stack!)).toBe(true);
    expect(traceback.endsWith("\nRangeError: too far\n")).toBe(true);
  });

  it("cuts the stack, never the last line, to stay within the bound", () => {
    const error = new Error(`deep ${"x".repeat(50)}`);
    error.stack = `Error: deep\n${"    at frame (file.js:1:1)\n".repeat(1_000)}`;
    const traceback = describeTraceback(error, 500);
    expect(traceback.length).toBeLessThanOrEqual(500);
    expect(traceback.endsWith(`\nError: deep ${"x".repeat(50)}\n`)).toBe(true);
  });

  it("is the last line alone for a thrown value with no stack, and redacts", () => {
    expect(describeTraceback("amqp://user:s3cret@host failed")).toBe("string: amqp://user:***@host failed\n");
  });
});
