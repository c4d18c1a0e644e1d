/**
 * Headless Chromium for the dashboard's browser tests: Debian's `/usr/bin/chromium` (or
 * `$CHROMIUM_PATH`) driven by playwright-core, no browser download. Without it, the tests are
 * skipped on a developer's machine and fail under CI (`CI` set), as `.ci/run` installs it.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** The Chromium executable (`$CHROMIUM_PATH` when set, else Debian's), or undefined when it is not there. */
export const CHROMIUM_PATH = (
  process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
).find((path) => existsSync(path));

/**
 * True when Chromium is there. @throws under CI when it is not, so that the run fails instead
 * of skipping the browser tests
 */
export function requireChromium(): boolean {
  if (CHROMIUM_PATH !== undefined) {
    return true;
  }
  if (process.env.CI) {
    throw new Error(
      "Chromium is missing (/usr/bin/chromium): the dashboard's browser tests need it under CI (apt-get install chromium)",
    );
  }
  return false;
}

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Containers often run as root and with a small /dev/shm.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: 30_000,
  });
}
