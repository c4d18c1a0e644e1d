/**
 * An in-memory IPC channel for the metrics tests: two endpoints whose messages
 * go through JSON, as Node's IPC does, and arrive on a later tick.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { IpcEndpoint } from "../../../src/metrics/ipc.js";

/** One end of a {@link channelPair}; `connected` can be turned off. */
export interface TestEndpoint extends IpcEndpoint {
  connected: boolean;
  /** Messages sent from this end so far. */
  readonly sent: unknown[];
}

/** Two connected endpoints: what one sends, the other receives. */
export function channelPair(): { parent: TestEndpoint; child: TestEndpoint } {
  const make = (): TestEndpoint & {
    emitter: EventEmitter;
    peer?: TestEndpoint & { emitter: EventEmitter };
  } => {
    const emitter = new EventEmitter();
    const end = {
      emitter,
      connected: true,
      sent: [] as unknown[],
      on: (event: "message", listener: (message: unknown) => void) => emitter.on(event, listener),
      off: (event: "message", listener: (message: unknown) => void) => emitter.off(event, listener),
      send(message: unknown, callback?: (error: Error | null) => void): boolean {
        if (!end.connected) {
          throw new Error("channel closed");
        }
        end.sent.push(message);
        const copy: unknown = JSON.parse(JSON.stringify(message));
        setImmediate(() => {
          end.peer?.emitter.emit("message", copy);
          callback?.(null);
        });
        return true;
      },
    } as TestEndpoint & { emitter: EventEmitter; peer?: TestEndpoint & { emitter: EventEmitter } };
    return end;
  };
  const parent = make();
  const child = make();
  parent.peer = child;
  child.peer = parent;
  return { parent, child };
}

/** An endpoint that receives requests and never answers. */
export function silentEndpoint(): TestEndpoint {
  return channelPair().parent;
}
