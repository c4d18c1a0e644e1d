/**
 * The built-in tools: safe, side-effect-free, and available to every agent run by default.
 *
 * @module
 */
import type { Tool } from "../tool.js";
import { calculatorTool } from "./calculator.js";
import { currentTimeTool } from "./current-time.js";
import { echoTool } from "./echo.js";

export { ArithmeticError, evaluateArithmetic } from "./arithmetic.js";
export { calculatorTool } from "./calculator.js";
export { type CurrentTimeToolOptions, createCurrentTimeTool, currentTimeTool } from "./current-time.js";
export { echoTool } from "./echo.js";

/** A fresh list of the built-in tools: `calculator`, `current_time`, `echo`. */
export function builtinTools(): Tool[] {
  return [calculatorTool, currentTimeTool, echoTool] as Tool[];
}
