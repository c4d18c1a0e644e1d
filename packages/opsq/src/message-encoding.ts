/**
 * Dramatiq's bytes: JSON as Python's `json.dumps(…, separators=(",", ":"))` writes it
 * (compact, non-ASCII escaped as `\uXXXX`), and the cheap lookup of the original text of the
 * members of a received body (`args`, `kwargs`, a nested `pipe_target`), so that re-publishing
 * keeps them byte for byte.
 *
 * @module
 */

/** Non-ASCII characters, and DEL, which Python's `ensure_ascii` escapes too. */
const NON_ASCII = /[\u007f-\uffff]/g;
const HAS_NON_ASCII = /[\u007f-\uffff]/;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * `value` as compact JSON with every non-ASCII character escaped as `\uXXXX` (lowercase hex,
 * astral characters as surrogate pairs), as Python's `json.dumps(ensure_ascii=True)` writes it.
 * ASCII-only text (the usual case) costs one scan on top of `JSON.stringify`.
 */
export function asciiJson(value: unknown): string {
  const json = JSON.stringify(value);
  // Outside strings JSON is ASCII, so every non-ASCII character is inside one: escaping it is safe.
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeChar) : json;
}

/**
 * The original JSON text of each member of the JSON object `text` (which `JSON.parse` accepted),
 * by key: the top-level `args`, `kwargs` and `options` of a body, say. Strings are skipped with
 * `indexOf`, so the scan is cheap even for large bodies. A duplicated key gives its last value,
 * as `JSON.parse` does.
 */
export function memberTexts(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = skipSpace(text, 0) + 1; // past "{"
  for (;;) {
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== QUOTE) {
      return members; // "}": the end of the object
    }
    const keyEnd = skipString(text, i);
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipSpace(text, skipSpace(text, keyEnd) + 1); // past ":"
    const valueEnd = skipValue(text, i);
    members.set(key, text.slice(i, valueEnd));
    i = skipSpace(text, valueEnd) + 1; // past "," or "}"
    if (text.charCodeAt(i - 1) !== COMMA) {
      return members;
    }
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function skipSpace(text: string, i: number): number {
  let at = i;
  for (;;) {
    const code = text.charCodeAt(at);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) {
      return at;
    }
    at++;
  }
}

// From the opening quote at `i` to just past the closing one.
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const close = text.indexOf('"', from);
    if (close < 0) {
      return text.length;
    }
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return close + 1;
    }
    from = close + 1;
  }
}

function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) {
    return skipString(text, i);
  }
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    let at = i;
    while (at < text.length) {
      const code = text.charCodeAt(at);
      if (code === QUOTE) {
        at = skipString(text, at);
        continue;
      }
      if (code === 0x7b || code === 0x5b) {
        depth++;
      } else if (code === 0x7d || code === 0x5d) {
        depth--;
        if (depth === 0) {
          return at + 1;
        }
      }
      at++;
    }
    return at;
  }
  // A number, true, false or null: up to the next delimiter.
  let at = i;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code === COMMA || code === 0x7d || code === 0x5d || code <= 0x20) {
      return at;
    }
    at++;
  }
  return at;
}
