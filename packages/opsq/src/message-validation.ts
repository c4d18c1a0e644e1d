/**
 * The rules an incoming message must meet, in one place: the seven keys of Dramatiq's body and
 * the options the standard middleware read, against the types and ranges Dramatiq allows.
 * Checked once, at decode, with plain `typeof` / `Number.isSafeInteger` tests; unknown option
 * keys pass through untouched (third-party middleware set their own).
 *
 * @module
 */
import { isValidName } from "./queue-names.js";

/** A check of one option value and the words that describe what it must be. */
interface OptionRule {
  readonly test: (value: unknown) => boolean;
  readonly expected: string;
}

// Durations and times may be fractional (a Python producer's `Retry(delay=0.5 * n)` gives a float
// eta); they must be finite, non-negative and within what a timer or a Date holds.
const ms = (value: unknown): boolean =>
  typeof value === "number" && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
const positiveMs = (value: unknown): boolean => ms(value) && (value as number) >= 1;
const whole = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const isBoolean = (value: unknown): boolean => typeof value === "boolean";
const isString = (value: unknown): boolean => typeof value === "string";
const isName = (value: unknown): boolean => typeof value === "string" && isValidName(value);

const WHOLE_MS: OptionRule = { test: ms, expected: "a number of milliseconds ≥ 0" };
const POSITIVE_MS: OptionRule = { test: positiveMs, expected: "a number of milliseconds ≥ 1" };
const COUNT: OptionRule = { test: whole, expected: "a whole number ≥ 0" };
const BOOLEAN: OptionRule = { test: isBoolean, expected: "true or false" };
const ACTOR_NAME: OptionRule = { test: isName, expected: "an actor name" };

/** RabbitMQ's largest message priority. */
export const MAX_BROKER_PRIORITY = 255;

/**
 * The wire options opsq reads, and what each must be. `null` means unset for every one of them.
 * `pipe_target` and `group_completion_callbacks` hold whole messages, checked by the same rules.
 */
export const OPTION_RULES: ReadonlyMap<string, OptionRule> = new Map<string, OptionRule>([
  ["eta", { test: ms, expected: "a number of milliseconds since the epoch" }],
  [
    "broker_priority",
    {
      test: (value) =>
        Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_BROKER_PRIORITY,
      expected: `a whole number from 0 to ${MAX_BROKER_PRIORITY}`,
    },
  ],
  ["retries", COUNT],
  ["max_retries", COUNT],
  ["min_backoff", WHOLE_MS],
  ["max_backoff", WHOLE_MS],
  ["time_limit", POSITIVE_MS],
  ["max_age", WHOLE_MS],
  ["requeue_timestamp", WHOLE_MS],
  ["delay", WHOLE_MS],
  ["result_ttl", POSITIVE_MS],
  ["dedup_ttl", WHOLE_MS],
  [
    "dedup_key",
    {
      test: (v: unknown) => typeof v === "string" && v !== "" && v.length <= 255,
      expected: "a non-empty string of at most 255 characters",
    },
  ],
  ["traceback", { test: isString, expected: "a string" }],
  ["notify_shutdown", BOOLEAN],
  ["store_results", BOOLEAN],
  ["pipe_ignore", BOOLEAN],
  ["on_success", ACTOR_NAME],
  ["on_failure", ACTOR_NAME],
  ["on_retry_exhausted", ACTOR_NAME],
  ["group_completion_uuid", { test: isString, expected: "a string" }],
  ["pipe_target", { test: isPlainObject, expected: "a message object" }],
  ["group_completion_callbacks", { test: Array.isArray, expected: "an array of message objects" }],
]);

const REQUIRED_KEYS = ["queue_name", "actor_name", "args", "kwargs", "options"] as const;
const ALL_KEYS = new Set<string>([...REQUIRED_KEYS, "message_id", "message_timestamp"]);

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * What is wrong with one option value, or `undefined` when it is valid or not an option opsq reads.
 *
 * @param key the wire key (`time_limit`)
 * @param value its value
 */
export function checkOption(key: string, value: unknown): string | undefined {
  const rule = OPTION_RULES.get(key);
  if (rule === undefined || value === null || value === undefined || rule.test(value)) {
    return undefined;
  }
  return `options.${key} must be ${rule.expected}, got ${show(value)}`;
}

/**
 * What is wrong with an option value set in code (an actor's option, a middleware default, a
 * per-message option), as one line naming it by its TypeScript name, or `undefined` when it is
 * valid. Actor references (objects) and functions are left to the option's own checks.
 *
 * @param name the option's TypeScript name (`timeLimitMs`)
 * @param wireKey its wire key (`time_limit`)
 * @param value the value set
 */
export function checkOptionValue(name: string, wireKey: string, value: unknown): string | undefined {
  const rule = OPTION_RULES.get(wireKey);
  if (rule === undefined || value === undefined || typeof value === "object" || typeof value === "function") {
    return undefined;
  }
  return rule.test(value) ? undefined : `${name} must be ${rule.expected}, got ${show(value)}`;
}

/**
 * What is wrong with a decoded message body (and every message nested in its options), or
 * `undefined` when it is valid. Nested messages are walked without recursion, so a deep
 * pipeline cannot overflow the stack.
 */
export function checkMessageDict(value: unknown): string | undefined {
  const pending: { value: unknown; path: string }[] = [{ value, path: "" }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const reason = checkOne(item.value, item.path, pending);
    if (reason !== undefined) {
      return reason;
    }
  }
  return undefined;
}

function checkOne(
  value: unknown,
  path: string,
  pending: { value: unknown; path: string }[],
): string | undefined {
  if (!isPlainObject(value)) {
    return path === "" ? "the body is not a JSON object" : `${path} must be a message object`;
  }
  for (const key of REQUIRED_KEYS) {
    if (!Object.hasOwn(value, key)) {
      return `missing key "${path}${key}"`;
    }
  }
  for (const key of Object.keys(value)) {
    if (!ALL_KEYS.has(key)) {
      return `unexpected key "${path}${key}"`;
    }
  }
  const { queue_name, actor_name, args, kwargs, options, message_id, message_timestamp } = value;
  if (typeof queue_name !== "string" || !isValidName(queue_name)) {
    return `${path}queue_name must be a queue name (letters, digits, "_", "." or "-", not starting with a digit, "." or "-", at most 252 characters), got ${show(queue_name)}`;
  }
  if (typeof actor_name !== "string" || !isValidName(actor_name)) {
    return `${path}actor_name must be an actor name (letters, digits, "_", "." or "-", not starting with a digit, "." or "-", at most 252 characters), got ${show(actor_name)}`;
  }
  if (!Array.isArray(args)) {
    return `${path}args must be an array`;
  }
  if (!isPlainObject(kwargs)) {
    return `${path}kwargs must be an object`;
  }
  if (!isPlainObject(options)) {
    return `${path}options must be an object`;
  }
  if (message_id !== undefined && (typeof message_id !== "string" || message_id === "")) {
    return `${path}message_id must be a non-empty string, got ${show(message_id)}`;
  }
  if (message_timestamp !== undefined && !whole(message_timestamp)) {
    return `${path}message_timestamp must be a whole number of milliseconds since the epoch, got ${show(message_timestamp)}`;
  }
  for (const key of Object.keys(options)) {
    const option = options[key];
    const reason = checkOption(key, option);
    if (reason !== undefined) {
      return `${path}${reason}`;
    }
  }
  if (isPlainObject(options.pipe_target)) {
    pending.push({ value: options.pipe_target, path: `${path}options.pipe_target.` });
  }
  if (Array.isArray(options.group_completion_callbacks)) {
    for (const [index, callback] of options.group_completion_callbacks.entries()) {
      pending.push({ value: callback, path: `${path}options.group_completion_callbacks[${index}].` });
    }
  }
  return undefined;
}

// A short, safe rendering of a bad value for the reason (never the whole of a large value).
function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value;
}
