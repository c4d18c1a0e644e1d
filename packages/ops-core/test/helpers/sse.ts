/**
 * A minimal Server-Sent Events reader for tests: follows a stream to its end (or a deadline)
 * and returns its events and comment lines.
 */

/** One event of the stream. */
export interface SseEvent {
  /** `event:` (default "message"). */
  event: string;
  /** `data:` lines joined with newlines. */
  data: string;
  /** `id:`, when given. */
  id?: string;
}

/** What {@link readEventStream} saw. */
export interface SseTranscript {
  /** The HTTP status. */
  status: number;
  /** The `content-type` header. */
  contentType: string | null;
  /** The events, in order. */
  events: SseEvent[];
  /** How many comment lines (heartbeats) came. */
  comments: number;
}

/**
 * GETs `url` and reads the event stream until the server ends it.
 *
 * @throws when it does not end within `timeoutMs`
 */
export async function readEventStream(
  url: string,
  options: { headers?: Record<string, string>; timeoutMs?: number; onEvent?: (event: SseEvent) => void } = {},
): Promise<SseTranscript> {
  const response = await fetch(url, {
    headers: options.headers ?? {},
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  });
  const transcript: SseTranscript = {
    status: response.status,
    contentType: response.headers.get("content-type"),
    events: [],
    comments: 0,
  };
  let buffer = "";
  let current: SseEvent = { event: "message", data: "" };
  let dataLines: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (dataLines.length > 0) {
          current.data = dataLines.join("\n");
          transcript.events.push(current);
          options.onEvent?.(current);
        }
        current = { event: "message", data: "" };
        dataLines = [];
      } else if (line.startsWith(":")) {
        transcript.comments += 1;
      } else {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") current.event = value;
        else if (field === "data") dataLines.push(value);
        else if (field === "id") current.id = value;
      }
      newline = buffer.indexOf("\n");
    }
  }
  return transcript;
}
