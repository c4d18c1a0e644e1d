/**
 * `/readyz`: each dependency checked at once, each within a bounded time, and a verdict that
 * names what is down without quoting a URL or a password.
 *
 * @module
 */
import { describeError } from "../describe-error.js";

/** One dependency to check, e.g. `postgres` (a SELECT 1) or `rabbitmq` (an open connection). */
export interface ReadinessCheck {
  /** Shown in the report. */
  name: string;
  /** Resolves when the dependency answers; rejects (or outlasts the timeout) when it does not. */
  check(): Promise<unknown>;
}

/** The outcome of {@link checkReadiness}. */
export interface ReadinessReport {
  /** True when every check passed. */
  ready: boolean;
  /** `"ok"` or `"down: <reason>"` per check name. */
  checks: Record<string, string>;
  /** The names of the checks that failed, in order. */
  down: string[];
}

/** Longest wait for one check. */
export const DEFAULT_READINESS_TIMEOUT_MS = 2_000;

/**
 * Runs every check in parallel, each bounded by `timeoutMs` (a check still running then
 * counts as down; it is not awaited further).
 */
export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number = DEFAULT_READINESS_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const outcomes = await Promise.all(checks.map((check) => outcomeOf(check, timeoutMs)));
  const report: ReadinessReport = { ready: true, checks: {}, down: [] };
  checks.forEach((check, index) => {
    const problem = outcomes[index];
    report.checks[check.name] = problem === undefined ? "ok" : `down: ${problem}`;
    if (problem !== undefined) {
      report.ready = false;
      report.down.push(check.name);
    }
  });
  return report;
}

/** `undefined` when the check passed in time, else why not (one line, URLs redacted). */
async function outcomeOf(check: ReadinessCheck, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(() => check.check())
        .then(
          () => undefined,
          (error: unknown) => withoutUrls(describeError(error)),
        ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Drops URLs altogether (a redacted URL still names hosts and users). */
function withoutUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>");
}
