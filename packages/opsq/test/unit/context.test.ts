import { describe, expect, it } from "vitest";
import { currentMessage, getContext, runWithContext } from "../../src/context.js";
import { OpsqError } from "../../src/errors.js";
import { Message } from "../../src/message.js";
import { MessageProxy } from "../../src/message-proxy.js";
import { quietLogger } from "./helpers.js";

function proxyFor(message: Message): MessageProxy {
  return new MessageProxy(message, false, quietLogger());
}

describe("getContext", () => {
  it("throws a clear error outside an actor", () => {
    // When I call it with no actor running, then I expect an OpsqError that says why
    expect(() => getContext()).toThrow(OpsqError);
    expect(() => getContext()).toThrow(/outside an actor/);
    expect(currentMessage()).toBeUndefined();
  });

  it("follows the actor's async call tree", async () => {
    // Given a context
    const message = new Message({ queueName: "q", actorName: "a", args: [], options: { retries: 2 } });
    const proxy = proxyFor(message);

    // When code deep in the call tree, after awaits and timers, reads it
    const seen = await runWithContext(proxy, async () => {
      await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      return { context: getContext(), current: currentMessage() };
    });

    // Then I expect the same context and message
    expect(seen.context).toBe(proxy);
    expect(seen.current).toBe(message);
    expect(seen.context.retries).toBe(2);
    expect(getContext).toThrow(OpsqError);
  });

  it("keeps concurrent contexts apart", async () => {
    // Given two actors running at once
    const a = proxyFor(new Message({ queueName: "q", actorName: "a", args: [] }));
    const b = proxyFor(new Message({ queueName: "q", actorName: "b", args: [] }));
    const read = async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return getContext().message.actorName;
    };

    // When each reads its context after interleaving, then I expect its own
    const [fromA, fromB] = await Promise.all([runWithContext(a, read), runWithContext(b, read)]);
    expect([fromA, fromB]).toEqual(["a", "b"]);
  });
});

describe("MessageProxy", () => {
  it("creates its signal lazily, already aborted if the attempt was aborted first", () => {
    // Given a proxy aborted before anyone looked at its signal
    const proxy = proxyFor(new Message({ queueName: "q", actorName: "a", args: [] }));
    const reason = new Error("stop");
    proxy.abort(reason);

    // Then I expect the signal to be aborted with that reason
    expect(proxy.signal.aborted).toBe(true);
    expect(proxy.signal.reason).toBe(reason);
    expect(proxy.abortReason).toBe(reason);
  });

  it("aborts once: a second reason is ignored", () => {
    // Given a proxy whose signal is in use
    const proxy = proxyFor(new Message({ queueName: "q", actorName: "a", args: [] }));
    const { signal } = proxy;
    const calls: Error[] = [];
    proxy.onAbort((reason) => calls.push(reason));

    // When it is aborted twice
    const first = new Error("first");
    proxy.abort(first);
    proxy.abort(new Error("second"));

    // Then I expect the first reason only
    expect(signal.reason).toBe(first);
    expect(calls).toEqual([first]);
  });

  it("keeps the first fail reason and counts retries from the options", () => {
    const proxy = proxyFor(
      new Message({ queueName: "q", actorName: "a", args: [], options: { retries: 4 } }),
    );
    expect(proxy.retries).toBe(4);
    expect(proxyFor(new Message({ queueName: "q", actorName: "a", args: [] })).retries).toBe(0);
    const first = new Error("first");
    proxy.fail(first);
    proxy.fail(new Error("second"));
    expect(proxy.failed).toBe(true);
    expect(proxy.failReason).toBe(first);
  });
});
