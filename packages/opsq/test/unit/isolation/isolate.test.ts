/**
 * Isolated actors on the StubBroker with a real Worker: the handler runs in a
 * worker thread or a child process (the fixture module is imported there too),
 * a handler that ignores its signal is killed at its time limit while the
 * worker keeps serving others, runners are reused and replaced, errors keep
 * their class, and a stopped worker leaves no runner behind.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { setBroker } from "../../../src/broker.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import {
  IsolationError,
  ResultFailure,
  Retry,
  TimeLimitExceeded,
  UnrecoverableError,
} from "../../../src/errors.js";
import { closeIsolationPools, liveRunnerCount } from "../../../src/isolation/pool.js";
import type { Middleware, Outcome } from "../../../src/middleware/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import { TimeLimit } from "../../../src/middleware/time-limit.js";
import { MemoryResultBackend } from "../../../src/results/memory.js";
import { getResult, Results } from "../../../src/results/middleware.js";
import { quietLogger, workerPool } from "../helpers.js";

// Runners start through tsx here (opsq runs from source): a child process takes a second or two
// on a loaded 2-core machine, and some tests start several.
vi.setConfig({ testTimeout: 60_000 });

/** Every attempt's outcome, by message id, in the order they ended. */
const outcomes = new Map<string, Outcome[]>();
const recorder: Middleware = {
  afterProcessMessage(_broker, proxy, outcome) {
    outcomes.set(proxy.messageId, [...(outcomes.get(proxy.messageId) ?? []), outcome]);
  },
};
const backend = new MemoryResultBackend();
const broker = new StubBroker({
  middleware: [
    new TimeLimit(),
    new Retries({ maxRetries: 0, minBackoffMs: 1, maxBackoffMs: 5 }),
    new Results({ backend }),
    recorder,
  ],
  logger: quietLogger(),
});
// The fixture defines its actors on the global broker, as a user module would.
setBroker(broker);
const fixture = await import("../../fixtures/isolation/actors.js");
const { QUEUE, FixtureFatal } = fixture;

/** A plain actor on another queue: it needs the event loop (timers) to finish. */
const OTHER_QUEUE = "isolation-other";
const finishedOthers: string[] = [];
const other = defineActor(
  "iso_other",
  async (label: string) => {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    finishedOthers.push(label);
  },
  { broker, queue: OTHER_QUEUE },
);

const pool = workerPool();
let markers: string;

beforeEach(async () => {
  await broker.flushAll();
  outcomes.clear();
  finishedOthers.length = 0;
  markers = mkdtempSync(join(tmpdir(), "opsq-isolation-"));
});

afterEach(async () => {
  await pool.stopAll();
  rmSync(markers, { recursive: true, force: true });
});

afterAll(() => closeIsolationPools());

/** Waits until `condition` holds, polling; fails naming `message` after `timeoutMs`. */
async function waitFor(condition: () => boolean, { timeoutMs = 20_000, message = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The last outcome of a message, once it has one. */
async function settled(messageId: string, attempts = 1): Promise<Outcome> {
  await waitFor(() => (outcomes.get(messageId)?.length ?? 0) >= attempts, {
    timeoutMs: 20_000,
    message: `${attempts} attempt(s) of ${messageId}`,
  });
  return outcomes.get(messageId)!.at(-1)!;
}

function started(messageId: string, retries = 0): Promise<void> {
  return waitFor(() => existsSync(join(markers, `${messageId}.${retries}`)), {
    timeoutMs: 20_000,
    message: `handler of ${messageId} started`,
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each([
  { mode: "thread", actors: fixture.threadActors },
  { mode: "process", actors: fixture.processActors },
] as const)("an actor isolated in a $mode", ({ mode, actors }) => {
  /** The runner's id: the thread id in a thread, the pid in a process. */
  const runnerId = (info: { pid: number; threadId: number }) =>
    mode === "thread" ? info.threadId : info.pid;

  it("runs the handler in a runner, with the message's context, and reuses the runner", async () => {
    // Given a worker
    await pool.start(broker, { concurrency: 2 });

    // When the info actor runs twice, one message after the other, with kwargs
    const first = await actors.info.sendWithOptions({ args: [1, "a"], kwargs: { k: "v" } });
    const one = (await settled(first.messageId)).result as Record<string, unknown>;
    const second = await actors.info.send();
    const two = (await settled(second.messageId)).result as Record<string, unknown>;

    // Then I expect it ran outside the worker's thread (or process), saw its message and kwargs,
    // and both attempts ran in the same runner
    if (mode === "thread") {
      expect(one.pid).toBe(process.pid);
      expect(one.threadId).not.toBe(0);
    } else {
      expect(one.pid).not.toBe(process.pid);
    }
    expect(one).toMatchObject({
      messageId: first.messageId,
      retries: 0,
      redelivered: false,
      kwargs: { k: "v" },
      args: [1, "a", { k: "v" }],
    });
    expect(two.messageId).toBe(second.messageId);
    expect(runnerId(two as never)).toBe(runnerId(one as never));
  });

  it("kills a handler that ignores its time limit, retries it, and keeps serving other messages meanwhile", async () => {
    // Given a worker whose isolated runner is warm
    await pool.start(broker, { concurrency: 2 });
    const warm = await actors.info.send();
    const before = (await settled(warm.messageId)).result as { pid: number; threadId: number };

    // When a CPU-bound handler with a 1 s limit and one retry starts spinning (the limit leaves a
    // loaded machine time to start the handler before it is killed)
    const spin = await actors.spin.sendWithOptions({ args: [markers], timeLimitMs: 1_000, maxRetries: 1 });
    await started(spin.messageId);
    // …and a plain actor is sent while it spins
    await other.send("while spinning");

    // Then I expect the plain actor to finish (the worker's event loop is free),
    await waitFor(() => finishedOthers.includes("while spinning"), { message: "the other actor finished" });
    // both attempts of the spinning one to fail with TimeLimitExceeded, and the message dead-lettered
    const last = await settled(spin.messageId, 2);
    expect(last.error).toBeInstanceOf(TimeLimitExceeded);
    expect(outcomes.get(spin.messageId)!.map((outcome) => outcome.error?.name)).toEqual([
      "TimeLimitExceeded",
      "TimeLimitExceeded",
    ]);
    await broker.join(QUEUE);
    const [dead] = broker.deadLetters(QUEUE);
    expect(dead!.reason).toBeInstanceOf(TimeLimitExceeded);

    // …and the killed runner replaced by a new one
    const after = await actors.info.send();
    const info = (await settled(after.messageId)).result as { pid: number; threadId: number };
    expect(runnerId(info)).not.toBe(runnerId(before));
    if (mode === "process") {
      await waitFor(() => !isAlive(before.pid), { message: `runner process ${before.pid} gone` });
    }
  });

  it("gives Retries the error classes the handler threw", async () => {
    // Given a worker, and messages allowed three retries
    await pool.start(broker);
    const send = (kind: string) => actors.fail.sendWithOptions({ args: [kind], maxRetries: 3 });

    // When the handler throws an UnrecoverableError subclass, a class listed in `throws`,
    // a Retry on its first attempt only, and a TypeError with a code
    const unrecoverable = await send("unrecoverable");
    const listed = await send("listed");
    const retried = await send("retry");
    const typed = await actors.fail.sendWithOptions({ args: ["odd"], maxRetries: 0 });
    await broker.join(QUEUE);

    // Then I expect the unrecoverable and listed ones dead-lettered after one attempt, as their classes,
    // with their names, messages and the runner's stack
    const reasons = new Map(
      broker.deadLetters(QUEUE).map((dead) => [JSON.parse(dead.body.toString()).message_id, dead.reason]),
    );
    const fatal = reasons.get(unrecoverable.messageId)!;
    expect(fatal).toBeInstanceOf(UnrecoverableError);
    expect(fatal).toMatchObject({ name: "FixtureUnrecoverable", message: "cannot go on" });
    expect(fatal.stack).toContain("fixtures/isolation/actors.ts");
    expect(outcomes.get(unrecoverable.messageId)).toHaveLength(1);
    const fatalListed = reasons.get(listed.messageId)!;
    expect(fatalListed).toBeInstanceOf(FixtureFatal);
    expect(fatalListed).toMatchObject({ name: "FixtureFatal", message: "listed in throws" });
    expect(outcomes.get(listed.messageId)).toHaveLength(1);
    // …the Retry honoured (its second attempt succeeded)
    const retriedOutcomes = outcomes.get(retried.messageId)!;
    expect(retriedOutcomes[0]!.error).toBeInstanceOf(Retry);
    expect(retriedOutcomes[0]!.error).toMatchObject({ delayMs: 5, message: "again, please" });
    expect(retriedOutcomes.at(-1)!.result).toBe("ok after a retry");
    expect(reasons.has(retried.messageId)).toBe(false);
    // …and the TypeError still a TypeError, with its code
    expect(reasons.get(typed.messageId)).toBeInstanceOf(TypeError);
    expect(reasons.get(typed.messageId)).toMatchObject({ message: "bad kind odd", code: "E_KIND" });
  });

  it("fails the attempt with a clear error when the handler ends its runner, then starts a new one", async () => {
    // Given a worker
    await pool.start(broker);

    // When the handler calls process.exit(1)
    const exit = await actors.exit.send(markers);
    await broker.join(QUEUE);

    // Then I expect the message dead-lettered with an IsolationError saying how the runner ended
    const [dead] = broker.deadLetters(QUEUE);
    expect(dead!.reason).toBeInstanceOf(IsolationError);
    expect(dead!.reason!.message).toMatch(
      new RegExp(`isolated runner ${mode} \\d+ exited with code 1 while running actor "${actors.exit.name}"`),
    );
    expect(existsSync(join(markers, `${exit.messageId}.0`))).toBe(true);
    // …and the next attempt served by a fresh runner
    const info = await actors.info.send();
    expect((await settled(info.messageId)).error).toBeUndefined();
  });

  it("fails the attempt with the uncaught error that ended its runner", async () => {
    // Given a worker
    await pool.start(broker);

    // When the handler's background code throws while the handler waits
    const message = await actors.crash.send();

    // Then I expect the attempt failed with an IsolationError quoting the uncaught error
    const outcome = await settled(message.messageId);
    expect(outcome.error).toBeInstanceOf(IsolationError);
    expect(outcome.error!.message).toMatch(
      new RegExp(
        `isolated runner ${mode} \\d+ exited with code 1 while running actor ".*_crash" \\(RangeError: background boom\\)`,
      ),
    );
  });

  it("treats a result that is not JSON as without isolation: a success whose ResultEncodeError is stored", async () => {
    // Given a worker
    await pool.start(broker);

    // When the handler returns a bigint, and its result is to be stored
    const message = await actors.bigint.sendWithOptions({ storeResults: true });

    // Then I expect the attempt to succeed, its result not encodable, with the runner's reason
    const outcome = await settled(message.messageId);
    expect(outcome.error).toBeUndefined();
    expect(() => JSON.stringify(outcome.result)).toThrow(/BigInt/);
    // And I expect getResult to reject at once with the same ResultEncodeError as without isolation
    const failure = await getResult(message, { backend, block: true, timeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ResultFailure);
    expect((failure as ResultFailure).errorType).toBe("ResultEncodeError");
    expect((failure as ResultFailure).errorMessage).toMatch(
      /the result of actor ".*_bigint" cannot be stored as JSON: TypeError: .*BigInt/,
    );
  });

  it("bounds a pool by maxRunners: attempts running at once wait for its runner", async () => {
    // Given a worker running two messages at once, and an actor limited to one runner
    await pool.start(broker, { concurrency: 2 });

    // When two of its messages arrive together
    const [a, b] = await Promise.all([actors.single.send(), actors.single.send()]);

    // Then I expect both served by the same runner
    const one = (await settled(a.messageId)).result as { pid: number; threadId: number };
    const two = (await settled(b.messageId)).result as { pid: number; threadId: number };
    expect(runnerId(two)).toBe(runnerId(one));
  });

  it("leaves no runner alive once the worker stopped, even one spinning", async () => {
    // Given a worker with an idle runner and a spinning one (no time limit near)
    const worker = await pool.start(broker, { concurrency: 2, shutdownTimeoutMs: 200 });
    const idle = await actors.info.send();
    const info = (await settled(idle.messageId)).result as { pid: number };
    const spin = await actors.spin.sendWithOptions({ args: [markers], timeLimitMs: 60_000 });
    await started(spin.messageId);
    expect(liveRunnerCount()).toBeGreaterThanOrEqual(1);

    // When the worker stops (its shutdown timeout aborts the spinning attempt)
    await worker.stop();

    // Then I expect every runner gone
    expect(liveRunnerCount()).toBe(0);
    if (mode === "process") {
      expect(isAlive(info.pid)).toBe(false);
    }
  });
});

describe("isolated runner problems", () => {
  it("fails the attempt when the module does not define the actor", async () => {
    // Given an actor whose isolation module defines other actors
    const stray = defineActor("iso_not_in_module", () => 1, {
      broker,
      queue: QUEUE,
      isolation: { mode: "thread", module: new URL("../../fixtures/isolation/actors.ts", import.meta.url) },
    });
    await pool.start(broker);

    // When it runs
    const message = await stray.send();

    // Then I expect an IsolationError naming the actor and the module
    const outcome = await settled(message.messageId);
    expect(outcome.error).toBeInstanceOf(IsolationError);
    expect(outcome.error!.message).toMatch(/actor "iso_not_in_module" is not defined by file:.*actors\.ts/);
  });

  it("fails the attempt when the module cannot be imported in the runner", async () => {
    // Given an actor whose isolation module throws when imported
    const broken = defineActor("iso_broken_module", () => 1, {
      broker,
      queue: QUEUE,
      isolation: {
        mode: "thread",
        module: new URL("../../fixtures/isolation/import-fails.mjs", import.meta.url),
      },
    });
    await pool.start(broker);

    // When it runs
    const message = await broken.send();

    // Then I expect an IsolationError with the import's error
    const outcome = await settled(message.messageId);
    expect(outcome.error).toBeInstanceOf(IsolationError);
    expect(outcome.error!.message).toMatch(/cannot import .*import-fails\.mjs.*this module fails at import/);
  });
});
