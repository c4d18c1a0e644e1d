/**
 * HTML built safely: {@link html} is a tagged template that escapes every value it
 * interpolates, unless the value is already {@link SafeHtml} (built by `html` itself, or
 * marked with {@link raw} for markup this package writes). Message bodies, headers and
 * errors are hostile input: they only ever reach a page through `html`.
 *
 * @module
 */

/** Markup that is safe to insert as is. */
export class SafeHtml {
  /** @param text markup, already escaped where needed */
  constructor(readonly text: string) {}

  /** The markup. */
  toString(): string {
    return this.text;
  }
}

/** What `html` interpolates: escaped text, safe markup, or a list of them; `undefined`/`false` render nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** `text` with `& < > " ' \`` escaped, safe in element content and in quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char]!);
}

/** Marks markup written by this package (never user data) as safe. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** A tagged template that escapes what it interpolates (see the module). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) {
    return value.text;
  }
  if (Array.isArray(value)) {
    return value.map(render).join("");
  }
  if (value === undefined || value === null || value === false) {
    return "";
  }
  return escapeHtml(String(value));
}
