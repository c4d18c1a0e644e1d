/**
 * One-line texts about a dead letter, shared by `opsq dead-letters` and the dashboard:
 * its call (`actor(args, key=value)`) and its error, labelled with the attempt it belongs to.
 *
 * @module
 */
import type { DeadLetter } from "./inspect.js";

/**
 * The call a dead letter stands for, `actor("a", 1, key="v")`, its arguments cut at
 * `maxChars`; a body that is not a Dramatiq message shows as `(not a Dramatiq message) <body>`.
 */
export function callSummary(letter: DeadLetter, maxChars = 80): string {
  if (letter.body !== undefined) {
    return `(not a Dramatiq message) ${truncate(letter.body, maxChars)}`;
  }
  const parts = [
    ...letter.args.map((arg) => JSON.stringify(arg) ?? String(arg)),
    ...Object.entries(letter.kwargs).map(([key, value]) => `${key}=${JSON.stringify(value)}`),
  ];
  return `${letter.actor ?? "?"}(${truncate(parts.join(", "), maxChars)})`;
}

/**
 * The error on the message, labelled with its attempt when it is not the last one's (Dramatiq
 * dead-letters a message as last published: the last attempt's error is only in the worker's log);
 * `undefined` for a body that is not a Dramatiq message.
 */
export function errorSummary(letter: DeadLetter): string | undefined {
  if (letter.body !== undefined) {
    return undefined;
  }
  if (letter.error === undefined) {
    return `error: not recorded on the message (it died on attempt ${letter.attempts}; the log of the worker that dead-lettered it has why)`;
  }
  if (letter.errorAttempt !== undefined && letter.errorAttempt < letter.attempts) {
    return `error of attempt ${letter.errorAttempt} of ${letter.attempts} (the last attempt's error is in the worker's log): ${letter.error}`;
  }
  return `error: ${letter.error}`;
}

/** `text` cut to `max` characters, the last one an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
