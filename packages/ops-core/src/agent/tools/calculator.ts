/**
 * `calculator`: evaluates an arithmetic expression with the safe parser in `arithmetic.ts`.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../tool.js";
import { evaluateArithmetic, MAX_EXPRESSION_LENGTH } from "./arithmetic.js";

/** Evaluates `+ - * / % ^` and parentheses on decimal numbers; returns `{ expression, result }`. */
export const calculatorTool = defineTool({
  name: "calculator",
  description:
    "Evaluate an arithmetic expression with + - * / % ^ and parentheses, e.g. '(2 + 3) * 4'. Returns the numeric result.",
  input: z.object({
    expression: z
      .string()
      .min(1)
      .max(MAX_EXPRESSION_LENGTH)
      .describe("The arithmetic expression to evaluate"),
  }),
  execute: ({ expression }) => ({ expression, result: evaluateArithmetic(expression) }),
});
