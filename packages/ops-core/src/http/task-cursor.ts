/**
 * The opaque `next_cursor` of `GET /api/v1/tasks`: base64url of a small JSON object naming the
 * last task of the page. Clients pass it back unchanged; its content is not part of the API.
 *
 * @module
 */
import { TaskValidationError } from "../errors.js";

const VERSION = 1;

/** The cursor that continues after the task `afterTaskId`. */
export function encodeTaskCursor(afterTaskId: string): string {
  return Buffer.from(JSON.stringify({ v: VERSION, after: afterTaskId }), "utf8").toString("base64url");
}

/**
 * The task id a cursor continues after.
 *
 * @throws {TaskValidationError} (`cursor: not a cursor this API returned`) for anything else
 */
export function decodeTaskCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (
      typeof value === "object" &&
      value !== null &&
      (value as { v?: unknown }).v === VERSION &&
      typeof (value as { after?: unknown }).after === "string"
    ) {
      return (value as { after: string }).after;
    }
  } catch {
    // not base64url JSON
  }
  throw new TaskValidationError("cursor", "not a cursor this API returned");
}
