/**
 * `current_time`: the current date and time, in UTC and optionally in an IANA time zone.
 *
 * @module
 */
import { z } from "zod";
import { defineTool, type Tool } from "../tool.js";

/** Options of {@link createCurrentTimeTool}. */
export interface CurrentTimeToolOptions {
  /** The clock (tests pass a fixed one). @default () => new Date() */
  now?: () => Date;
}

const input = z.object({
  timeZone: z.string().max(64).optional().describe("IANA time zone such as 'Europe/Paris'; UTC when omitted"),
});

/** Creates the `current_time` tool; returns `{ iso, timeZone, local }`. */
export function createCurrentTimeTool(options: CurrentTimeToolOptions = {}): Tool<z.output<typeof input>> {
  const now = options.now ?? (() => new Date());
  return defineTool({
    name: "current_time",
    description:
      "Get the current date and time (ISO-8601 UTC, plus local time in an optional IANA time zone).",
    input,
    execute: ({ timeZone = "UTC" }) => {
      const date = now();
      let local: string;
      try {
        local = new Intl.DateTimeFormat("en-GB", { timeZone, dateStyle: "full", timeStyle: "long" }).format(
          date,
        );
      } catch {
        throw new Error(`unknown time zone "${timeZone}"`);
      }
      return { iso: date.toISOString(), timeZone, local };
    },
  });
}

/** The `current_time` tool on the real clock. */
export const currentTimeTool = createCurrentTimeTool();
