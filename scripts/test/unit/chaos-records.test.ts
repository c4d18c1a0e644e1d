/**
 * chaos/lib/records.ts: the chaos harness reads the shared record file while workers append to it
 * (and after SIGKILLs), so a last line without its newline must not abort a scenario.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRecords } from "../../../chaos/lib/records.js";

const dir = mkdtempSync(join(tmpdir(), "chaos-records-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (n: number) => JSON.stringify({ ev: "done", id: `m${n}`, n, pid: 1, at: 0, redelivered: false });

describe("readRecords", () => {
  it("reads every line of a file that ends with a newline", () => {
    const file = join(dir, "complete.jsonl");
    writeFileSync(file, `${line(1)}\n${line(2)}\n`);
    expect(readRecords(file).map((record) => record.n)).toEqual([1, 2]);
  });

  it("leaves out a last line still being written (or cut by a SIGKILL)", () => {
    const file = join(dir, "partial.jsonl");
    writeFileSync(file, `${line(1)}\n${line(2)}\n${line(3).slice(0, 20)}`);
    expect(readRecords(file).map((record) => record.n)).toEqual([1, 2]);
  });

  it("reads nothing from a missing file or one whose only line is unfinished", () => {
    expect(readRecords(join(dir, "missing.jsonl"))).toEqual([]);
    const file = join(dir, "first.jsonl");
    writeFileSync(file, line(1).slice(0, 10));
    expect(readRecords(file)).toEqual([]);
  });
});
