/**
 * Errors across the runner boundary: flattened to JSON in the runner, re-created in the parent
 * as the same kind (opsq's control-flow classes, built-ins, classes listed in `throws`), with
 * name, message, stack, JSON fields and cause.
 */
import { describe, expect, it } from "vitest";
import {
  IsolationError,
  RateLimitExceeded,
  Retry,
  TimeLimitExceeded,
  UnrecoverableError,
} from "../../../src/errors.js";
import { reviveError, serializeError } from "../../../src/isolation/error-transfer.js";

/** What the parent gets: serialised, sent as JSON, revived. */
function roundTrip(thrown: unknown, throws: (abstract new (...args: never[]) => Error)[] = []): Error {
  return reviveError(JSON.parse(JSON.stringify(serializeError(thrown))), throws);
}

class Fatal extends Error {
  override name = "Fatal";
}

class DeepFatal extends Fatal {
  override name = "DeepFatal";
}

class FromUser extends UnrecoverableError {
  override name = "FromUser";
}

describe("serializeError / reviveError", () => {
  it("keeps a Retry's delay, so Retries uses it", () => {
    const revived = roundTrip(new Retry({ delayMs: 1_234, message: "later" }));
    expect(revived).toBeInstanceOf(Retry);
    expect(revived).toMatchObject({ delayMs: 1_234, message: "later", name: "Retry" });
  });

  it("re-creates a subclass of UnrecoverableError as an UnrecoverableError with its own name", () => {
    const revived = roundTrip(new FromUser("stop"));
    expect(revived).toBeInstanceOf(UnrecoverableError);
    expect(revived).toMatchObject({ name: "FromUser", message: "stop" });
  });

  it("re-creates any error class opsq exports, fields included (RateLimitExceeded)", () => {
    const revived = roundTrip(new RateLimitExceeded("api", 3));
    expect(revived).toBeInstanceOf(RateLimitExceeded);
    expect(revived).toMatchObject({ name: "RateLimitExceeded", key: "api", limit: 3 });
  });

  it("re-creates TimeLimitExceeded and IsolationError", () => {
    expect(roundTrip(new TimeLimitExceeded(300))).toMatchObject({ timeLimitMs: 300 });
    expect(roundTrip(new TimeLimitExceeded(300))).toBeInstanceOf(TimeLimitExceeded);
    expect(roundTrip(new IsolationError("x"))).toBeInstanceOf(IsolationError);
  });

  it("makes an error of a class listed in throws (or a subclass of one) an instance of that class", () => {
    const revived = roundTrip(new DeepFatal("deep"), [Fatal]);
    expect(revived).toBeInstanceOf(Fatal);
    expect(revived).toBeInstanceOf(Error);
    expect(revived).toMatchObject({ name: "DeepFatal", message: "deep" });
    // Without the class at hand, it is a plain Error with the same name
    const unknown = roundTrip(new DeepFatal("deep"));
    expect(unknown).not.toBeInstanceOf(Fatal);
    expect(unknown).toMatchObject({ name: "DeepFatal", message: "deep" });
  });

  it("keeps built-in classes, the runner's stack, JSON fields and the cause", () => {
    const thrown = Object.assign(new RangeError("too far", { cause: new TypeError("inner") }), {
      code: "E_FAR",
      detail: { at: 3 },
      callback: () => {},
    });
    const revived = roundTrip(thrown);
    expect(revived).toBeInstanceOf(RangeError);
    expect(revived.stack).toBe(thrown.stack);
    expect(revived).toMatchObject({ code: "E_FAR", detail: { at: 3 } });
    expect(revived).not.toHaveProperty("callback");
    expect(revived.cause).toBeInstanceOf(TypeError);
    expect((revived.cause as Error).message).toBe("inner");
  });

  it("turns a thrown non-error into an Error with its text", () => {
    expect(roundTrip("plain text")).toMatchObject({ name: "Error", message: "plain text" });
    expect(roundTrip({ reason: 1 })).toMatchObject({ message: '{"reason":1}' });
  });

  it("transfers an error whose message getter throws, with a description instead", () => {
    const error = new TypeError("hidden");
    Object.defineProperty(error, "message", {
      get() {
        throw new Error("no");
      },
    });
    expect(roundTrip(error)).toMatchObject({
      name: "TypeError",
      message: "(its message cannot be read: the getter threw)",
    });
  });
});
