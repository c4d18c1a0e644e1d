import { describe, expect, it } from "vitest";
import { DEFAULT_QUEUE, dqName, isDelayQueue, isValidName, qName, xqName } from "../../src/queue-names.js";

describe("queue names", () => {
  it("derives the delay and dead-letter queues from any member of the family", () => {
    // Given a canonical queue and its delay and dead-letter queues
    for (const name of ["jobs", "jobs.DQ", "jobs.XQ"]) {
      // When I ask for the names, then I expect the same family each time
      expect(qName(name)).toBe("jobs");
      expect(dqName(name)).toBe("jobs.DQ");
      expect(xqName(name)).toBe("jobs.XQ");
    }
  });

  it("keeps dots inside a canonical name", () => {
    // Given a dotted queue name that is not a .DQ or .XQ
    // Then I expect it to be canonical
    expect(qName("a.b.c")).toBe("a.b.c");
    expect(dqName("a.b.c")).toBe("a.b.c.DQ");
    expect(qName("jobs.dq")).toBe("jobs.dq");
  });

  it("tells delay queues apart", () => {
    expect(isDelayQueue("jobs.DQ")).toBe(true);
    expect(isDelayQueue("jobs")).toBe(false);
    expect(isDelayQueue("jobs.XQ")).toBe(false);
  });

  it.each(["default", "_private", "a", "Jobs-2", "a.b_c-d", "x9"])("accepts %j (Dramatiq's rule)", (name) => {
    expect(isValidName(name)).toBe(true);
  });

  it.each(["", "9lives", "-dash", ".dot", "has space", "tab\t", "ümlaut", "a/b", "a:b", "line\n"])(
    "rejects %j (Dramatiq's rule)",
    (name) => {
      expect(isValidName(name)).toBe(false);
    },
  );

  it("names the default queue as Dramatiq does", () => {
    expect(DEFAULT_QUEUE).toBe("default");
  });
});
