/**
 * Security managers decide, before each tool call, whether the agent may make it. A denial is
 * not a crash: the agent loop reports it to the model as the tool's error.
 *
 * @module
 */

/** What is being asked for. */
export interface ToolPermissionRequest {
  /** Tool the model wants to call. */
  toolName: string;
  /** Parsed arguments (or the raw text when it is not JSON). */
  arguments: unknown;
  /** The goal of the run, for policies that depend on it. */
  goal: string;
}

/** The answer: allowed, or denied with a reason shown to the model and recorded. */
export type PermissionDecision = { allowed: true } | { allowed: false; reason: string };

/** Decides whether a tool call may run. */
export interface SecurityManager {
  /** Returns the decision for one tool call. */
  checkToolCall(request: ToolPermissionRequest): PermissionDecision | Promise<PermissionDecision>;
}

/** Allows every tool call (the original service's `DefaultSecurityManager`). */
export class AllowAllSecurityManager implements SecurityManager {
  /** Always allows. */
  checkToolCall(): PermissionDecision {
    return { allowed: true };
  }
}

/** Allows only the named tools. */
export class AllowListSecurityManager implements SecurityManager {
  readonly #allowed: ReadonlySet<string>;

  /** @param toolNames the tools that may be called */
  constructor(toolNames: Iterable<string>) {
    this.#allowed = new Set(toolNames);
  }

  /** Allows the call when its tool is on the list. */
  checkToolCall(request: ToolPermissionRequest): PermissionDecision {
    return this.#allowed.has(request.toolName)
      ? { allowed: true }
      : { allowed: false, reason: `tool "${request.toolName}" is not on the allow-list` };
  }
}
