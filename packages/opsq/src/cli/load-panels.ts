/**
 * `opsq dashboard --panel <module>`: imports panel modules (resolved as `opsq worker` resolves
 * its modules) and opens the panel each one's `openDashboardPanel` export returns. This is how
 * a package adds pages (ops-core's agent tasks) without opsq importing it.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import type { DashboardPanel } from "../dashboard/panel.js";
import {
  type DashboardPanelContext,
  type DashboardPanelFactory,
  PANEL_FACTORY_EXPORT,
} from "../dashboard/panel-factory.js";
import { redactUrl } from "../logger.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { describeImportError, isTypeScriptFile, registerTypeScript, resolveModule } from "./load-modules.js";

/**
 * Imports each module in order and opens its panel. When one fails, the panels already opened
 * are closed before the error is thrown.
 *
 * @param specifiers package specifiers (`ops-core/dashboard`) or paths (`./panel.ts`)
 * @param cwd where relative paths and packages are resolved from
 * @param context what each factory is given
 * @throws CliError, exit code 2 when a module is missing, fails to import, lacks the export,
 *   returns no panel, or its factory rejects with a RangeError or TypeError (a bad setting);
 *   exit code 3 when its factory rejects otherwise (a service it needs is unreachable)
 */
export async function loadPanels(
  specifiers: readonly string[],
  cwd: string,
  context: DashboardPanelContext,
): Promise<DashboardPanel[]> {
  const panels: DashboardPanel[] = [];
  try {
    for (const specifier of specifiers) {
      panels.push(await loadPanel(specifier, cwd, context));
    }
    return panels;
  } catch (error) {
    await Promise.allSettled(panels.map((panel) => panel.close?.()));
    throw error;
  }
}

async function loadPanel(
  specifier: string,
  cwd: string,
  context: DashboardPanelContext,
): Promise<DashboardPanel> {
  const file = resolveModule(specifier, cwd);
  if (isTypeScriptFile(file)) {
    await registerTypeScript(cwd, specifier);
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(
      `cannot import panel "${specifier}": ${describeImportError(error, file)}`,
      ExitCode.IMPORT_ERROR,
      {
        cause: error,
      },
    );
  }
  const factory = namespace[PANEL_FACTORY_EXPORT];
  if (typeof factory !== "function") {
    throw new CliError(
      `panel "${specifier}" exports no ${PANEL_FACTORY_EXPORT}() function (see "Panels" in docs/DASHBOARD.md)`,
      ExitCode.IMPORT_ERROR,
    );
  }
  let panel: unknown;
  try {
    panel = await (factory as DashboardPanelFactory)(context);
  } catch (error) {
    const bad = error instanceof RangeError || error instanceof TypeError;
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(
      `panel "${specifier}" failed to open: ${redactUrl(message.replace(/\s*\n\s*/g, " "))}`,
      bad ? ExitCode.IMPORT_ERROR : ExitCode.CONNECT_ERROR,
      { cause: error },
    );
  }
  if (!isPanel(panel)) {
    throw new CliError(
      `panel "${specifier}": ${PANEL_FACTORY_EXPORT}() returned no panel (an object with id, title and render)`,
      ExitCode.IMPORT_ERROR,
    );
  }
  return panel;
}

function isPanel(value: unknown): value is DashboardPanel {
  const candidate = value as Partial<DashboardPanel> | null | undefined;
  return (
    typeof candidate?.id === "string" &&
    typeof candidate.title === "string" &&
    typeof candidate.render === "function"
  );
}
