/**
 * Metrics over the IPC channel between the `--processes` supervisor and its
 * worker processes: the supervisor asks, each worker process answers with its
 * registry's `getMetricsAsJSON()`.
 *
 * @module
 */
import type { Registry } from "prom-client";
import type { MetricsSnapshot } from "./prom-client.js";

/** Supervisor → worker process: send me your metrics (`id` pairs the answer with the request). */
export interface MetricsRequest {
  readonly opsq: "metrics?";
  readonly id: number;
}

/** Worker process → supervisor: the metrics of request `id`. */
export interface MetricsReply {
  readonly opsq: "metrics";
  readonly id: number;
  readonly metrics: MetricsSnapshot;
}

/** One end of an IPC channel: a forked `ChildProcess`, or `process` in the child. */
export interface IpcEndpoint {
  on(event: "message", listener: (message: unknown) => void): unknown;
  off(event: "message", listener: (message: unknown) => void): unknown;
  send?(message: unknown, callback?: (error: Error | null) => void): boolean;
  readonly connected?: boolean;
}

/**
 * In a worker process: answers every {@link MetricsRequest} that arrives on
 * `channel` with the metrics of `registry`.
 *
 * @returns a function that stops answering
 */
export function answerMetricsRequests(
  registry: Pick<Registry, "getMetricsAsJSON">,
  channel: IpcEndpoint = process as IpcEndpoint,
): () => void {
  const listener = (message: unknown) => {
    if (!isRequest(message)) {
      return;
    }
    void registry.getMetricsAsJSON().then(
      (metrics) => {
        const reply: MetricsReply = { opsq: "metrics", id: message.id, metrics };
        send(channel, reply);
      },
      // The supervisor's timeout covers a registry that cannot be read.
      () => {},
    );
  };
  channel.on("message", listener);
  return () => channel.off("message", listener);
}

/**
 * From the supervisor: asks one worker process for its metrics.
 *
 * @returns its metrics, or `undefined` when it is not connected or did not answer within `timeoutMs`
 */
export function requestMetrics(
  peer: IpcEndpoint,
  id: number,
  timeoutMs: number,
): Promise<MetricsSnapshot | undefined> {
  if (peer.connected === false || peer.send === undefined) {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const finish = (metrics: MetricsSnapshot | undefined) => {
      clearTimeout(timer);
      peer.off("message", listener);
      resolve(metrics);
    };
    const listener = (message: unknown) => {
      if (isReply(message) && message.id === id) {
        finish(message.metrics);
      }
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    peer.on("message", listener);
    const request: MetricsRequest = { opsq: "metrics?", id };
    if (!send(peer, request, () => finish(undefined))) {
      finish(undefined);
    }
  });
}

// Sends without throwing: a channel closing under us (the process is exiting) is not an error here.
function send(channel: IpcEndpoint, message: unknown, onError?: () => void): boolean {
  try {
    return (
      channel.send?.(message, (error) => {
        if (error) {
          onError?.();
        }
      }) !== undefined
    );
  } catch {
    return false;
  }
}

function isRequest(message: unknown): message is MetricsRequest {
  const m = message as Partial<MetricsRequest> | null | undefined;
  return m?.opsq === "metrics?" && typeof m.id === "number";
}

function isReply(message: unknown): message is MetricsReply {
  const m = message as Partial<MetricsReply> | null | undefined;
  return m?.opsq === "metrics" && typeof m.id === "number" && Array.isArray(m.metrics);
}
