import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeLlm, startFakeLlm } from "../../helpers/fake-llm.js";

const chat = (fake: FakeLlm, content: string, extra: Record<string, unknown> = {}) =>
  fetch(`${fake.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer abc" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content }], ...extra }),
  });

describe("fake OpenAI-compatible server", () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm({ model: "fake-1" });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it("lists its model", async () => {
    const response = await fetch(`${fake.baseUrl}/models`);
    expect(await response.json()).toMatchObject({ object: "list", data: [{ id: "fake-1" }] });
  });

  it("counts [[status:CODExN]] per distinct message, then answers normally", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await chat(fake, "[[status:429x2]] a")).status);
    statuses.push((await chat(fake, "[[status:429x2]] b")).status);
    expect(statuses).toEqual([429, 429, 200, 429]);
    expect((await chat(fake, "[[status:429x2]] b")).headers.get("retry-after-ms")).toBe("10");
  });

  it("serves queued replies before directives and records every request", async () => {
    fake.enqueue({ content: "scripted" });
    const body = (await (await chat(fake, "[[status:500]] x", { tools: [] })).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(body.choices[0]!.message.content).toBe("scripted");
    expect(fake.requests[0]).toMatchObject({
      authorization: "Bearer abc",
      model: "m",
      tools: [],
      status: 200,
    });
  });

  it("accepts tool arguments as JSON inside the directive", async () => {
    const body = (await (await chat(fake, '[[tool:calculator:{"expression":"[1]"}]]')).json()) as {
      choices: { message: { tool_calls: { function: { arguments: string } }[] } }[];
    };
    expect(body.choices[0]!.message.tool_calls[0]!.function.arguments).toBe('{"expression":"[1]"}');
  });

  it("answers 400 to a body without messages", async () => {
    const response = await fetch(`${fake.baseUrl}/chat/completions`, { method: "POST", body: "{}" });
    expect(response.status).toBe(400);
  });
});
