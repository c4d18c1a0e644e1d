/**
 * `opsq dashboard --panel <module>`: a panel module that cannot be found, fails to import, lacks
 * the `openDashboardPanel` export, returns no panel or fails to open is a one-line CliError;
 * a good one's panel is opened with the dashboard's context, and closed when a later one fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError, ExitCode } from "../../../src/cli/exit-codes.js";
import { loadPanels } from "../../../src/cli/load-panels.js";
import { createLogger } from "../../../src/logger.js";

const dir = mkdtempSync(join(tmpdir(), "opsq-panels-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function module(name: string, source: string): string {
  writeFileSync(join(dir, name), source);
  return `./${name}`;
}

const context = {
  brokerUrl: "amqp://guest:guest@127.0.0.1:5672",
  databaseUrl: "postgres://app:s3cret@db/app",
  logger: createLogger({ level: "silent" }),
};

async function failure(specifiers: string[]): Promise<CliError> {
  const error = await loadPanels(specifiers, dir, context).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).message).not.toContain("\n");
  return error as CliError;
}

describe("loadPanels", () => {
  it("opens the panel a module's openDashboardPanel returns, with the dashboard's context", async () => {
    const specifier = module(
      "good.mjs",
      `export async function openDashboardPanel(context) {
        return { id: "good", title: context.databaseUrl, render: async () => "" };
      }`,
    );
    const [panel] = await loadPanels([specifier], dir, context);
    expect(panel?.id).toBe("good");
    expect(panel?.title).toBe(context.databaseUrl);
  });

  it("refuses a module that does not exist (exit 2)", async () => {
    const error = await failure(["./nowhere.mjs"]);
    expect(error.exitCode).toBe(ExitCode.IMPORT_ERROR);
    expect(error.message).toContain('cannot find module "./nowhere.mjs"');
  });

  it("refuses a package that does not exist (exit 2)", async () => {
    const error = await failure(["no-such-package-opsq/dashboard"]);
    expect(error.exitCode).toBe(ExitCode.IMPORT_ERROR);
  });

  it("refuses a module without the export (exit 2)", async () => {
    const error = await failure([module("no-export.mjs", "export const panel = {};")]);
    expect(error.exitCode).toBe(ExitCode.IMPORT_ERROR);
    expect(error.message).toBe(
      'panel "./no-export.mjs" exports no openDashboardPanel() function (see "Panels" in docs/DASHBOARD.md)',
    );
  });

  it("refuses a module that throws when imported (exit 2)", async () => {
    const error = await failure([module("throws.mjs", 'throw new Error("boom\\nsecond line");')]);
    expect(error.exitCode).toBe(ExitCode.IMPORT_ERROR);
    expect(error.message).toContain('cannot import panel "./throws.mjs": Error: boom second line');
  });

  it("refuses a factory that returns no panel (exit 2)", async () => {
    const error = await failure([
      module("not-a-panel.mjs", "export async function openDashboardPanel() { return { id: 1 }; }"),
    ]);
    expect(error.exitCode).toBe(ExitCode.IMPORT_ERROR);
    expect(error.message).toContain("returned no panel");
  });

  it("exits 2 on a bad setting and 3 on an unreachable service, with no password shown", async () => {
    const bad = await failure([
      module(
        "bad-setting.mjs",
        'export async function openDashboardPanel() { throw new RangeError("needs --database-url"); }',
      ),
    ]);
    expect(bad.exitCode).toBe(ExitCode.IMPORT_ERROR);
    expect(bad.message).toBe('panel "./bad-setting.mjs" failed to open: needs --database-url');
    const down = await failure([
      module(
        "down.mjs",
        'export async function openDashboardPanel(c) { throw new Error("cannot reach " + c.databaseUrl); }',
      ),
    ]);
    expect(down.exitCode).toBe(ExitCode.CONNECT_ERROR);
    expect(down.message).not.toContain("s3cret");
  });

  it("closes the panels already opened when a later one fails", async () => {
    const opened = module(
      "closes.mjs",
      `export const state = { closed: false };
      export async function openDashboardPanel() {
        return { id: "closes", title: "C", render: async () => "", close: async () => { state.closed = true; } };
      }`,
    );
    await failure([opened, "./nowhere.mjs"]);
    const { state } = (await import(join(dir, "closes.mjs"))) as { state: { closed: boolean } };
    expect(state.closed).toBe(true);
  });
});
