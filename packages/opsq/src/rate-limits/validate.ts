/**
 * Checks of the limiters' options, each failing with a one-line error that
 * names the option.
 *
 * @module
 */

const KEY = /^[^\p{Cc}]{1,255}$/u;

/** `key` if it is a string of 1 to 255 characters without control characters. */
export function checkKey(owner: string, key: unknown): string {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new TypeError(
      `${owner}: key must be a string of 1 to 255 characters without control characters, got ${show(key)}`,
    );
  }
  return key;
}

/** `value` if it is a whole number from `min` to `max`. */
export function checkWhole(
  owner: string,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${owner}: ${name} must be a whole number ${range}, got ${show(value)}`);
  }
  return value;
}

/** `windowMs` if it is a whole number of seconds, in milliseconds (1000, 2000, …). */
export function checkWindowMs(owner: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1000 || value % 1000 !== 0) {
    throw new RangeError(
      `${owner}: windowMs must be a whole number of seconds in milliseconds (1000, 2000, …), got ${show(value)}`,
    );
  }
  return value;
}

/** `timeoutMs` if it is unset or a number ≥ 0. */
export function checkTimeout(owner: string, value: unknown): number | undefined {
  if (value !== undefined && (typeof value !== "number" || Number.isNaN(value) || value < 0)) {
    throw new RangeError(`${owner}: timeoutMs must be a number ≥ 0, got ${show(value)}`);
  }
  return value;
}

// A short, single-line rendering of a bad value.
function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  text = text.replace(/\p{Cc}+/gu, " ");
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
