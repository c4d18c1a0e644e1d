/**
 * How a RabbitMQ broker declares its queues, decided once for every queue of the broker: Dramatiq's
 * classic queues (the default, wire- and topology-compatible with Python workers), or replicated
 * quorum queues for a cluster, with a delivery limit that bounds poison messages. Options win over
 * the environment (`OPSQ_QUEUE_TYPE`, `OPSQ_DELIVERY_LIMIT`, which `opsq worker --queue-type` and
 * `--delivery-limit` set before the modules are imported).
 *
 * @module
 */
import type { QueueType } from "./topology.js";

/** Environment variable naming the queue type of brokers built without `queueType`. */
export const QUEUE_TYPE_ENV = "OPSQ_QUEUE_TYPE";
/** Environment variable giving the delivery limit of quorum brokers built without `deliveryLimit`. */
export const DELIVERY_LIMIT_ENV = "OPSQ_DELIVERY_LIMIT";

/** The queue options a broker was given. */
export interface QueueSettingsOptions {
  readonly queueType?: QueueType | undefined;
  readonly deliveryLimit?: number | undefined;
  readonly maxPriority?: number | undefined;
}

/** The queue settings a broker declares with. */
export interface QueueSettings {
  readonly queueType: QueueType;
  readonly deliveryLimit: number | undefined;
  readonly maxPriority: number | undefined;
}

/**
 * The checked queue settings: each option, else its environment variable, else the default
 * (classic, no delivery limit, no priorities).
 *
 * @throws RangeError in one line for a bad value or a combination quorum queues cannot have
 */
export function resolveQueueSettings(
  options: QueueSettingsOptions,
  env: Readonly<Record<string, string | undefined>> = {},
): QueueSettings {
  const { maxPriority } = options;
  if (maxPriority !== undefined && (!Number.isInteger(maxPriority) || maxPriority < 1 || maxPriority > 255)) {
    throw new RangeError(`maxPriority must be a whole number from 1 to 255, got ${maxPriority}`);
  }
  const fromEnv = options.queueType === undefined && Boolean(env[QUEUE_TYPE_ENV]);
  const queueType = options.queueType ?? (env[QUEUE_TYPE_ENV] || "classic");
  if (queueType !== "classic" && queueType !== "quorum") {
    throw new RangeError(
      `${fromEnv ? QUEUE_TYPE_ENV : "queueType"} must be "classic" or "quorum", got ${JSON.stringify(queueType)}`,
    );
  }
  if (queueType === "quorum" && maxPriority !== undefined) {
    throw new RangeError(
      `maxPriority cannot be used with queueType "quorum"${fromEnv ? ` (from ${QUEUE_TYPE_ENV})` : ""}: quorum queues have no priorities (RabbitMQ 3.10); drop maxPriority or use queueType "classic"`,
    );
  }
  const deliveryLimit = options.deliveryLimit ?? envDeliveryLimit(env[DELIVERY_LIMIT_ENV]);
  if (deliveryLimit !== undefined) {
    const name = options.deliveryLimit === undefined ? DELIVERY_LIMIT_ENV : "deliveryLimit";
    if (queueType !== "quorum") {
      throw new RangeError(`${name} needs queueType "quorum" (classic queues have no delivery limit)`);
    }
    if (!Number.isSafeInteger(deliveryLimit) || deliveryLimit < 0) {
      throw new RangeError(`${name} must be a whole number ≥ 0, got ${deliveryLimit}`);
    }
  }
  return { queueType, deliveryLimit, maxPriority };
}

function envDeliveryLimit(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") {
    return undefined;
  }
  return /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
}
