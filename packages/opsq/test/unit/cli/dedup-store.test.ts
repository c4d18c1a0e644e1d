import { describe, expect, it } from "vitest";
import { StubBroker } from "../../../src/brokers/stub.js";
import { addDedup } from "../../../src/cli/dedup-store.js";
import { CliError, ExitCode } from "../../../src/cli/exit-codes.js";
import { MemoryDedupBackend } from "../../../src/dedup/memory.js";
import { Dedup } from "../../../src/dedup/middleware.js";
import { captureLogger, quietLogger } from "../helpers.js";

describe("opsq worker --dedup-url", () => {
  it("refuses a URL that is not postgres://, in one line without the password", async () => {
    const broker = new StubBroker({ logger: quietLogger() });
    const adding = addDedup(broker, { url: "mysql://u:secret@db/x" }, quietLogger());
    await expect(adding).rejects.toBeInstanceOf(CliError);
    await expect(adding).rejects.toMatchObject({ exitCode: ExitCode.IMPORT_ERROR });
    await expect(adding).rejects.not.toThrow(/secret/);
    expect(broker.middleware.some((m) => m instanceof Dedup)).toBe(false);
  });

  it("keeps the modules' own Dedup middleware, with a warning", async () => {
    const own = new Dedup({ backend: new MemoryDedupBackend() });
    const broker = new StubBroker({ middleware: [own], logger: quietLogger() });
    const { logger, lines } = captureLogger();
    const close = await addDedup(broker, { url: "postgres://nowhere.invalid/x" }, logger);
    await close();
    expect(broker.middleware.filter((m) => m instanceof Dedup)).toEqual([own]);
    expect(lines.map((l) => l.msg)).toEqual([
      "the broker already has a Dedup middleware; --dedup-url is ignored",
    ]);
  });
});
