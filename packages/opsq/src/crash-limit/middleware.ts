/**
 * CrashLimit: bounds crash loops per message. A message that was running each time
 * its worker process died (`process.exit()` in a handler, an uncaught exception,
 * and, under `opsq worker --processes`, a kill or a crash the supervisor sees) is
 * dead-lettered once it has killed its worker `maxCrashes` times, instead of being
 * redelivered forever. A process that exits from inside a handler says so, naming
 * the actor and message, and exits non-zero.
 *
 * The deaths are counted in a {@link CrashJournal} file per queue, written while the
 * process exits and read only for redelivered messages: it survives the process,
 * and a healthy worker pays nothing for it.
 *
 * @module
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AttemptSlot } from "../attempt-slot.js";
import type { Broker } from "../broker.js";
import { currentMessage } from "../context.js";
import { describeError } from "../error-text.js";
import { CrashLimitExceeded, SkipMessage } from "../errors.js";
import { LinkedList, type ListNode } from "../linked-list.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Middleware } from "../middleware/middleware.js";
import { qName } from "../queue-names.js";
import { CrashJournal, type CrashVictim } from "./journal.js";

/** Options of {@link CrashLimit}. */
export interface CrashLimitOptions {
  /** Deaths of its worker a message may cause before it is dead-lettered. @default 3 */
  maxCrashes?: number;
  /** Directory of the crash journal files. @default `$OPSQ_STATE_DIR`, else `<os tmpdir>/opsq` */
  stateDir?: string;
  /** Exit code of a process that ends while messages run (whatever code it asked for). @default 1 */
  exitCode?: number;
}

/** Dead-letters a message that has killed its worker process `maxCrashes` times. */
export class CrashLimit implements Middleware {
  readonly name = "CrashLimit";
  /** The journal the deaths are counted in. */
  readonly journal: CrashJournal;
  readonly #maxCrashes: number;
  readonly #exitCode: number;
  readonly #inFlight = new LinkedList<{ proxy: MessageProxy; queue: string }>();
  readonly #node = new AttemptSlot<ListNode<{ proxy: MessageProxy; queue: string }>>("CrashLimit");
  #broker: Broker | undefined;
  #stopping = false;
  readonly #onExit = (code: number) => this.#exiting(code);

  /** @param options the limit and the state directory */
  constructor(options: CrashLimitOptions = {}) {
    this.#maxCrashes = options.maxCrashes ?? 3;
    this.#exitCode = options.exitCode ?? 1;
    if (!Number.isSafeInteger(this.#maxCrashes) || this.#maxCrashes < 1) {
      throw new RangeError(`maxCrashes must be a whole number ≥ 1, got ${options.maxCrashes}`);
    }
    this.journal = new CrashJournal(options.stateDir ?? process.env.OPSQ_STATE_DIR ?? join(tmpdir(), "opsq"));
  }

  /** Messages running now, as the supervisor and the exit hook see them. */
  get inFlight(): CrashVictim[] {
    return [...this.#inFlight].map(({ proxy, queue }) => ({
      queue,
      messageId: proxy.messageId,
      actor: proxy.message.actorName,
    }));
  }

  beforeWorkerBoot(broker: Broker): void {
    this.#broker = broker;
    this.#stopping = false;
    process.on("exit", this.#onExit);
  }

  beforeWorkerShutdown(): void {
    this.#stopping = true;
  }

  afterWorkerShutdown(): void {
    process.off("exit", this.#onExit);
  }

  beforeProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    const queue = qName(proxy.message.queueName);
    // Only a redelivered message can have killed a worker: the journal is read for those alone.
    if (proxy.redelivered) {
      const deaths = this.journal.deaths(queue, proxy.messageId);
      if (deaths >= this.#maxCrashes) {
        const reason = new CrashLimitExceeded(proxy.messageId, deaths);
        proxy.logger.error(
          { deaths, maxCrashes: this.#maxCrashes },
          "message keeps killing its worker; dead-lettering it",
        );
        this.journal.clear(queue, proxy.messageId);
        proxy.fail(reason);
        throw new SkipMessage(reason.message);
      }
    }
    this.#node.set(proxy, this.#inFlight.push({ proxy, queue }));
  }

  afterProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    this.#forget(proxy);
  }

  afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    this.#forget(proxy);
  }

  #forget(proxy: MessageProxy): void {
    const node = this.#node.take(proxy);
    if (node !== undefined) {
      this.#inFlight.remove(node);
    }
  }

  // The process is exiting while handlers run: blame the message whose handler called
  // process.exit() when it is known, else every message in flight. Synchronous, as 'exit' requires.
  #exiting(code: number): void {
    if (this.#stopping || this.#inFlight.size === 0) {
      return;
    }
    const current = currentMessage();
    const all = this.inFlight;
    const fromCurrent =
      current === undefined ? [] : all.filter((victim) => victim.messageId === current.messageId);
    const fromHandler = fromCurrent.length > 0;
    const victims = fromHandler ? fromCurrent : all;
    const logger = this.#broker?.logger;
    try {
      this.journal.recordDeaths(victims);
    } catch (error) {
      logger?.error({ reason: describeError(error) }, "could not write the crash journal");
    }
    // Never 0, so a process manager that restarts on failure restarts it.
    process.exitCode = this.#exitCode;
    logger?.error(
      {
        exitCode: this.#exitCode,
        requestedExitCode: code,
        messages: victims.map(({ messageId, actor }) => ({ message_id: messageId, actor })),
        maxCrashes: this.#maxCrashes,
      },
      fromHandler
        ? "worker process exiting from inside a handler; its message is counted as a crash"
        : "worker process exiting with messages in flight; each is counted as a crash",
    );
  }
}
