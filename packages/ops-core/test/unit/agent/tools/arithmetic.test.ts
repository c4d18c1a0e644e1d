import { describe, expect, it } from "vitest";
import {
  ArithmeticError,
  evaluateArithmetic,
  MAX_EXPRESSION_LENGTH,
} from "../../../../src/agent/tools/arithmetic.js";

describe("evaluateArithmetic", () => {
  it.each([
    ["1 + 2", 3],
    ["2 + 3 * 4", 14],
    ["(2 + 3) * 4", 20],
    ["10 - 4 - 3", 3],
    ["100 / 10 / 5", 2],
    ["7 % 4", 3],
    ["2 ^ 3 ^ 2", 512],
    ["-2 ^ 2", -4],
    ["2 ^ -1", 0.5],
    ["--3", 3],
    [" 1.5e3 + .5 ", 1500.5],
    ["2 * (3 + 4) ^ 2", 98],
    ["((((1))))", 1],
  ])("%s = %d", (expression, expected) => {
    expect(evaluateArithmetic(expression)).toBe(expected);
  });

  it.each([
    ["1 / 0", "division by zero"],
    ["5 % 0", "division by zero"],
    ["2 +", "unexpected end of expression, expected a number"],
    ["(1 + 2", 'unexpected end of expression, expected ")"'],
    ["1 + 2)", 'unexpected ")" at position 6'],
    ["2 ** 3", 'unexpected "*" at position 4, expected a number'],
    ["process.exit(1)", 'unexpected "p" at position 1, expected a number'],
    ["10 ^ 400", "result is not a finite number"],
    ["", "unexpected end of expression, expected a number"],
  ])("rejects %j: %s", (expression, message) => {
    expect(() => evaluateArithmetic(expression)).toThrow(new ArithmeticError(message));
  });

  it("bounds length and nesting", () => {
    expect(() => evaluateArithmetic("1+".repeat(MAX_EXPRESSION_LENGTH))).toThrow(
      "longer than 500 characters",
    );
    expect(() => evaluateArithmetic(`${"(".repeat(150)}1${")".repeat(150)}`)).toThrow(
      "nested deeper than 100",
    );
    expect(() => evaluateArithmetic(`${"-".repeat(200)}1`)).toThrow("nested deeper than 100");
  });
});
