import { describe, expect, it } from "vitest";
import { abortable } from "../../src/abortable.js";

describe("abortable", () => {
  it("settles like the promise when the signal stays quiet", async () => {
    const signal = new AbortController().signal;
    await expect(abortable(Promise.resolve(1), signal)).resolves.toBe(1);
    await expect(abortable(Promise.reject(new Error("no")), signal)).rejects.toThrow("no");
  });

  it("rejects with the abort reason even if the work never settles", async () => {
    const controller = new AbortController();
    const waiting = abortable(new Promise(() => {}), controller.signal);
    controller.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
  });

  it("rejects at once on an already aborted signal", async () => {
    await expect(abortable(Promise.resolve(1), AbortSignal.abort(new Error("early")))).rejects.toThrow(
      "early",
    );
  });
});
