/**
 * A small recursive-descent evaluator for arithmetic — never `eval`, never `Function`.
 *
 * Grammar (usual precedence; `^` is right-associative and binds tighter than unary minus):
 *
 * ```text
 * expression := term (("+" | "-") term)*
 * term       := unary (("*" | "/" | "%") unary)*
 * unary      := ("+" | "-") unary | power
 * power      := primary ("^" unary)?
 * primary    := number | "(" expression ")"
 * number     := digits ["." digits] [("e" | "E") ["+" | "-"] digits]
 * ```
 *
 * @module
 */

/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 500;

/** The expression is malformed or its value is not a finite number. */
export class ArithmeticError extends Error {
  override name = "ArithmeticError";
}

/**
 * Evaluates an arithmetic expression.
 *
 * @example evaluateArithmetic("2 * (3 + 4) ^ 2") // 98
 * @throws {ArithmeticError} e.g. `unexpected "x" at position 3`, `division by zero`
 */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new ArithmeticError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const parser = new Parser(expression);
  const value = parser.parseExpression();
  parser.expectEnd();
  if (!Number.isFinite(value)) throw new ArithmeticError("result is not a finite number");
  return value;
}

const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 100;

class Parser {
  #position = 0;
  #depth = 0;

  constructor(private readonly text: string) {}

  parseExpression(): number {
    let value = this.#term();
    for (let op = this.#peek(); op === "+" || op === "-"; op = this.#peek()) {
      this.#position++;
      const right = this.#term();
      value = op === "+" ? value + right : value - right;
    }
    return value;
  }

  expectEnd(): void {
    const next = this.#peek();
    if (next !== undefined) throw this.#unexpected(next);
  }

  #term(): number {
    let value = this.#unary();
    for (let op = this.#peek(); op === "*" || op === "/" || op === "%"; op = this.#peek()) {
      this.#position++;
      const right = this.#unary();
      if (op !== "*" && right === 0) throw new ArithmeticError("division by zero");
      value = op === "*" ? value * right : op === "/" ? value / right : value % right;
    }
    return value;
  }

  #unary(): number {
    const op = this.#peek();
    if (op === "+" || op === "-") {
      this.#position++;
      const value = this.#nested(() => this.#unary());
      return op === "-" ? -value : value;
    }
    return this.#power();
  }

  #power(): number {
    const base = this.#primary();
    if (this.#peek() !== "^") return base;
    this.#position++;
    return base ** this.#nested(() => this.#unary());
  }

  #primary(): number {
    const next = this.#peek();
    if (next === "(") {
      this.#position++;
      const value = this.#nested(() => this.parseExpression());
      if (this.#peek() !== ")") throw this.#unexpected(this.#peek(), '")"');
      this.#position++;
      return value;
    }
    NUMBER.lastIndex = this.#position;
    const match = NUMBER.exec(this.text);
    if (!match) throw this.#unexpected(next, "a number");
    this.#position += match[0].length;
    return Number(match[0]);
  }

  #nested(parse: () => number): number {
    if (++this.#depth > MAX_DEPTH) throw new ArithmeticError(`expression is nested deeper than ${MAX_DEPTH}`);
    try {
      return parse();
    } finally {
      this.#depth--;
    }
  }

  /** Skips whitespace and returns the next character without consuming it. */
  #peek(): string | undefined {
    while (this.#position < this.text.length && /\s/.test(this.text[this.#position]!)) this.#position++;
    return this.text[this.#position];
  }

  #unexpected(found: string | undefined, expected?: string): ArithmeticError {
    const what = found === undefined ? "end of expression" : `"${found}" at position ${this.#position + 1}`;
    return new ArithmeticError(`unexpected ${what}${expected ? `, expected ${expected}` : ""}`);
  }
}
