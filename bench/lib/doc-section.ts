/**
 * A marked block of a generated Markdown file (`<!-- name:start -->` … `<!-- name:end -->`), so that
 * one benchmark can replace its own section and another, regenerating the whole file, keeps it.
 */
import { existsSync, readFileSync } from "node:fs";

/** The start and end markers of the section `name`. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` };
}

/** The section `name` of `text`, markers included, or undefined when it has none. */
export function findSection(text: string, name: string): string | undefined {
  const { start, end } = sectionMarkers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  return from < 0 || to < 0 ? undefined : text.slice(from, to + end.length);
}

/** The section `name` of the file, markers included, or undefined when the file or the section is missing. */
export function readSection(file: string, name: string): string | undefined {
  return existsSync(file) ? findSection(readFileSync(file, "utf8"), name) : undefined;
}

/**
 * `text` with the section `name` replaced by `body` (wrapped in its markers); when `text` has no such
 * section, the section goes before the first heading matching `before`, or at the end.
 */
export function replaceSection(text: string, name: string, body: string, before?: RegExp): string {
  const { start, end } = sectionMarkers(name);
  const block = `${start}\n${body.trim()}\n${end}`;
  const existing = findSection(text, name);
  if (existing !== undefined) return text.replace(existing, () => block);
  const at = before ? text.search(before) : -1;
  if (at < 0) return `${text.trimEnd()}\n\n${block}\n`;
  return `${text.slice(0, at)}${block}\n\n${text.slice(at)}`;
}

/**
 * `text` (a freshly generated version of `file`) with the section `name` that `file` has now carried
 * over unchanged, placed as {@link replaceSection} does; `text` itself when `file` has no such section.
 */
export function keepSection(text: string, file: string, name: string, before?: RegExp): string {
  const kept = readSection(file, name);
  if (kept === undefined) return text;
  const { start, end } = sectionMarkers(name);
  return replaceSection(text, name, kept.slice(start.length, kept.length - end.length), before);
}
