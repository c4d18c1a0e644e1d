/**
 * The only place that builds queue names: every canonical queue `q` has a delay
 * queue `q.DQ` and a dead-letter queue `q.XQ` (Dramatiq's `q_name`/`dq_name`/`xq_name`).
 *
 * @module
 */

/** Queue and actor names follow Dramatiq's rule. */
const NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9._-]*$/;

/** Longest queue or actor name: AMQP's 255-byte queue names, less the `.XQ` suffix. */
export const MAX_NAME_LENGTH = 252;

/** The queue used when an actor names none. */
export const DEFAULT_QUEUE = "default";

/** True when `name` is a valid queue or actor name (Dramatiq's rule, at most {@link MAX_NAME_LENGTH} characters). */
export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(name);
}

/** The canonical queue of any of `q`, `q.DQ` or `q.XQ`. */
export function qName(queueName: string): string {
  if (queueName.endsWith(".DQ") || queueName.endsWith(".XQ")) {
    return queueName.slice(0, -3);
  }
  return queueName;
}

/** The delay queue of `queueName`. */
export function dqName(queueName: string): string {
  return `${qName(queueName)}.DQ`;
}

/** The dead-letter queue of `queueName`. */
export function xqName(queueName: string): string {
  return `${qName(queueName)}.XQ`;
}

/** True when `queueName` is a delay queue (`.DQ`). */
export function isDelayQueue(queueName: string): boolean {
  return queueName.endsWith(".DQ");
}
