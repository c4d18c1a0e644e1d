/**
 * Publishing with the AMQP properties Dramatiq sets, and no others: amqplib's `publish` always
 * writes a `headers` table, empty when none is given, which Dramatiq's messages do not carry.
 * Without headers, the frame is written through the channel's own `sendMessage` (what
 * `publish` does after building its properties), so the properties hold no table at all.
 *
 * @module
 */
import type { ConfirmChannel, Options } from "amqplib";

/** The two amqplib channel methods `publish` is made of (present on every amqplib channel). */
interface FrameChannel {
  sendMessage(fields: object, properties: object, content: Buffer): boolean;
  pushConfirmCallback(callback: (error: unknown) => void): void;
}

function isFrameChannel(channel: object): channel is FrameChannel {
  const candidate = channel as Partial<FrameChannel>;
  return typeof candidate.sendMessage === "function" && typeof candidate.pushConfirmCallback === "function";
}

/**
 * Publishes `content` to `queue` through the default exchange, as `channel.publish` would, but
 * with no `headers` property when `options.headers` is absent or empty. Returns what `publish`
 * returns (false: wait for `drain`); `confirmed` is called with the confirm (an error when nacked).
 */
export function publishToQueue(
  channel: ConfirmChannel,
  queue: string,
  content: Buffer,
  options: Options.Publish,
  confirmed: (error: unknown) => void,
): boolean {
  const headers = options.headers as Record<string, unknown> | undefined;
  const hasHeaders = headers !== undefined && Object.keys(headers).length > 0;
  if (hasHeaders || options.CC !== undefined || options.BCC !== undefined || !isFrameChannel(channel)) {
    return channel.publish("", queue, content, options, confirmed);
  }
  const fieldsAndProperties = {
    // Method fields of basic.publish.
    exchange: "",
    routingKey: queue,
    mandatory: options.mandatory === true,
    immediate: false,
    ticket: undefined,
    // Properties: each one left undefined is not written.
    contentType: options.contentType,
    contentEncoding: options.contentEncoding,
    headers: undefined,
    deliveryMode: deliveryMode(options),
    priority: options.priority,
    correlationId: options.correlationId,
    replyTo: options.replyTo,
    expiration: options.expiration === undefined ? undefined : String(options.expiration),
    messageId: options.messageId,
    timestamp: options.timestamp,
    type: options.type,
    userId: options.userId,
    appId: options.appId,
    clusterId: undefined,
  };
  // As amqplib's ConfirmChannel#publish: send the frames, then queue the confirm callback.
  const flowing = channel.sendMessage(fieldsAndProperties, fieldsAndProperties, content);
  channel.pushConfirmCallback(confirmed);
  return flowing;
}

// As amqplib reads it: `persistent` first, then `deliveryMode` (a number, or truthy for 2).
function deliveryMode(options: Options.Publish): number | undefined {
  if (options.persistent !== undefined) {
    return options.persistent ? 2 : 1;
  }
  if (typeof options.deliveryMode === "number") {
    return options.deliveryMode;
  }
  return options.deliveryMode ? 2 : undefined;
}
