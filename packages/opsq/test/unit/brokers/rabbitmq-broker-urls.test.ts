/**
 * The URLs of a cluster's nodes: splitting, precedence of options over the environment, the
 * shuffled order, and what the broker shows of them (passwords redacted).
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RABBITMQ_URL,
  resolveBrokerUrls,
  shuffled,
  splitBrokerUrls,
} from "../../../src/brokers/rabbitmq/broker-urls.js";
import { RabbitmqBroker } from "../../../src/brokers/rabbitmq.js";

const A = "amqp://u:secret@a:5672";
const B = "amqp://u:secret@b:5672";

describe("splitBrokerUrls", () => {
  it("splits on commas, trims and drops empty items", () => {
    expect(splitBrokerUrls(` ${A} ,,${B}, `)).toEqual([A, B]);
    expect(splitBrokerUrls("")).toEqual([]);
  });
});

describe("resolveBrokerUrls", () => {
  const env = { RABBITMQ_URLS: `${A},${B}`, RABBITMQ_URL: "amqp://env:5672" };

  it("takes urls, then url, then RABBITMQ_URLS, then RABBITMQ_URL, then the default", () => {
    expect(resolveBrokerUrls({ urls: [B], url: A, env })).toEqual([B]);
    expect(resolveBrokerUrls({ url: A, env })).toEqual([A]);
    expect(resolveBrokerUrls({ env })).toEqual([A, B]);
    expect(resolveBrokerUrls({ env: { RABBITMQ_URLS: " , ", RABBITMQ_URL: A } })).toEqual([A]);
    expect(resolveBrokerUrls({ env: {} })).toEqual([DEFAULT_RABBITMQ_URL]);
    expect(resolveBrokerUrls({ env: { RABBITMQ_URL: "" } })).toEqual([DEFAULT_RABBITMQ_URL]);
  });

  it("refuses an empty urls array or a non-string item, without quoting anything", () => {
    expect(() => resolveBrokerUrls({ urls: [] })).toThrow(RangeError);
    expect(() => resolveBrokerUrls({ urls: [A, " "] })).toThrow(/non-empty strings/);
    expect(() => resolveBrokerUrls({ urls: [A, 5 as unknown as string] })).toThrow(RangeError);
  });
});

describe("shuffled", () => {
  it("keeps every item once and leaves the input alone", () => {
    const items = [1, 2, 3, 4, 5];
    const copy = shuffled(items);
    expect([...copy].sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5]);
  });

  it("puts each item first about equally often", () => {
    const first = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const [head] = shuffled(["a", "b", "c"]);
      first.set(head!, (first.get(head!) ?? 0) + 1);
    }
    for (const name of ["a", "b", "c"]) {
      expect(first.get(name)).toBeGreaterThan(800);
    }
  });

  it("follows the random source it is given", () => {
    expect(shuffled([1, 2, 3], () => 0)).toEqual([2, 3, 1]);
    expect(shuffled([1, 2, 3], () => 0.999)).toEqual([1, 2, 3]);
  });
});

describe("RabbitmqBroker URLs", () => {
  it("shows every node's URL with its password redacted", () => {
    const broker = new RabbitmqBroker({ urls: [A, B] });
    expect(broker.urls).toEqual(["amqp://u:***@a:5672", "amqp://u:***@b:5672"]);
    expect(broker.url).toBe("amqp://u:***@a:5672,amqp://u:***@b:5672");
    expect(`${broker.url}`).not.toContain("secret");
  });

  it("reads RABBITMQ_URLS when no URL option is given", () => {
    const saved = process.env.RABBITMQ_URLS;
    process.env.RABBITMQ_URLS = `${A},${B}`;
    try {
      expect(new RabbitmqBroker().urls).toHaveLength(2);
    } finally {
      if (saved === undefined) {
        delete process.env.RABBITMQ_URLS;
      } else {
        process.env.RABBITMQ_URLS = saved;
      }
    }
  });

  it("refuses an empty urls option", () => {
    expect(() => new RabbitmqBroker({ urls: [] })).toThrow(RangeError);
  });
});
