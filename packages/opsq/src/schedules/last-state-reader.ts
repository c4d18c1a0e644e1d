/**
 * Reads the last state of schedules from their `.last` queues (a copy the leader publishes with
 * each tick): `basic.get`, then the message is put back, so readers never consume it.
 *
 * @module
 */
import type { ChannelModel } from "amqplib";
import { decodeState, lastQueueName, type ScheduleState } from "./schedule-state.js";

/**
 * The last state of schedule `name`.
 *
 * @returns undefined when the schedule never ran on this RabbitMQ
 */
export async function readLastState(model: ChannelModel, name: string): Promise<ScheduleState | undefined> {
  const channel = await model.createChannel();
  channel.on("error", () => {});
  try {
    // A missing queue closes the channel with 404: the schedule never ran.
    await channel.checkQueue(lastQueueName(name));
  } catch {
    return undefined;
  }
  try {
    const message = await channel.get(lastQueueName(name), { noAck: false });
    if (message === false) {
      return undefined;
    }
    channel.nack(message, false, true);
    return decodeState(message.content);
  } finally {
    await channel.close().catch(() => {});
  }
}
