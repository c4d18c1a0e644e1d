/** Who may use the dashboard: loopback only without a token; with one, whoever shows it. */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { Access, isLoopback } from "../../../src/dashboard/access.js";

function request(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe("Access", () => {
  it("without a token, serves loopback clients only", () => {
    const access = new Access(undefined);
    expect(access.check(request("127.0.0.1"), new Map())).toBe("ok");
    expect(access.check(request("::1"), new Map())).toBe("ok");
    expect(access.check(request("::ffff:127.0.0.1"), new Map())).toBe("ok");
    expect(access.check(request("10.0.0.7"), new Map())).toBe("forbidden");
    expect(access.check(request("::ffff:192.168.1.2"), new Map())).toBe("forbidden");
  });

  it("with a token, asks every client for it, loopback included", () => {
    const access = new Access("tok");
    expect(access.check(request("127.0.0.1"), new Map())).toBe("login");
    expect(access.check(request("10.0.0.7", { authorization: "Bearer tok" }), new Map())).toBe("bearer");
    expect(access.check(request("10.0.0.7", { authorization: "Bearer nope" }), new Map())).toBe("login");
    const cookie = access.sessionCookie("/", false).split(";")[0]!.split("=");
    expect(access.check(request("10.0.0.7"), new Map([[cookie[0]!, cookie[1]!]]))).toBe("ok");
  });

  it("recognises loopback addresses", () => {
    expect(isLoopback("127.8.9.1")).toBe(true);
    expect(isLoopback(undefined)).toBe(false);
    expect(isLoopback("128.0.0.1")).toBe(false);
  });
});
