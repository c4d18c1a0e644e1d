/**
 * Every error the HTTP API answers, as `{ "error": { "code", "message" } }` with a status:
 * 400 bad JSON, 401, 404, 409, 413, 415, 422 (validation, naming the field), 503 (a service is
 * down), and 500 for anything unexpected — whose message is generic: no stack, no SQL, no URL.
 *
 * @module
 */
import { z } from "zod";
import { classifyError } from "../classify-error.js";
import { describeError } from "../describe-error.js";
import { EnqueueError, TaskNotFoundError, TaskValidationError } from "../errors.js";
import { TaskConflictError } from "./task-api.js";

/** The zod schema of an error body (for the OpenAPI document). */
export const errorBodySchema = z
  .object({
    error: z
      .object({
        code: z.string().describe("stable, machine-readable, e.g. validation_failed"),
        message: z.string().describe("one line for a human"),
      })
      .strict(),
  })
  .strict();

/** An error body. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** An error with its HTTP status and code, thrown by the routes themselves. */
export class ApiError extends Error {
  override name = "ApiError";
  /**
   * @param statusCode the HTTP status
   * @param code the body's `error.code`
   * @param message the body's `error.message` (one line, nothing secret)
   */
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What to answer for an error. */
export interface ErrorReply {
  /** The HTTP status. */
  statusCode: number;
  /** The body. */
  body: ErrorBody;
  /** True for a 5xx nobody expected: worth logging in full on the server side. */
  unexpected: boolean;
}

/** Fastify's own client errors (from its content-type parsers and limits), by code. */
const FASTIFY_ERRORS: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, "payload_too_large"],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, "unsupported_media_type"],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, "bad_request"],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, "bad_json"],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, "bad_json"],
};

/** The reply for `error`. */
export function toErrorReply(error: unknown): ErrorReply {
  const reply = (statusCode: number, code: string, message: string, unexpected = false): ErrorReply => ({
    statusCode,
    body: { error: { code, message } },
    unexpected,
  });
  if (error instanceof ApiError) return reply(error.statusCode, error.code, error.message);
  if (error instanceof TaskValidationError) {
    return reply(422, "validation_failed", error.message);
  }
  if (error instanceof TaskNotFoundError) return reply(404, "not_found", error.message);
  if (error instanceof TaskConflictError) return reply(409, "conflict", error.message);
  if (error instanceof EnqueueError) return reply(503, "enqueue_failed", describeError(error));
  const fastify = fastifyError(error);
  if (fastify) return reply(fastify.statusCode, fastify.code, fastify.message);
  if (classifyError(error) === "transient") {
    return reply(503, "unavailable", "a service ops-core needs is unavailable; try again later", true);
  }
  return reply(500, "internal_error", "internal error (see the server's log)", true);
}

/** A Fastify client error (a 4xx with a code, or a JSON syntax error), mapped; else undefined. */
function fastifyError(error: unknown): { statusCode: number; code: string; message: string } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  const message = describeError(error);
  if (typeof code === "string" && Object.hasOwn(FASTIFY_ERRORS, code)) {
    const [status, ours] = FASTIFY_ERRORS[code]!;
    return { statusCode: status, code: ours, message };
  }
  // The JSON parser's SyntaxError (and a poisoned __proto__) come with statusCode 400.
  if (error instanceof SyntaxError && statusCode === 400) {
    return { statusCode: 400, code: "bad_json", message: `the body is not valid JSON: ${message}` };
  }
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
    return { statusCode, code: "bad_request", message };
  }
  return undefined;
}
