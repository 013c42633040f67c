/** The expression language's tokenizer: numbers, strings, names and operators, with 1-based positions. */
import { fail } from "./failure.ts"

/** What a token is: the end of the source is a token too, so the parser never reads past it. */
export type TokenKind = "number" | "string" | "name" | "op" | "end"

/** One token of the source. */
export interface Token {
  readonly kind: TokenKind
  readonly text: string
  readonly value?: unknown
  /** 1-based. */
  readonly position: number
}

const operators = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "(",
  ")",
  "[",
  "]",
  ",",
  ".",
  "!",
  "{",
  "}",
  ":",
  // Keyword arguments (`f(x, key=value)`); after the two-character operators, so `==` stays one token.
  "="
]

/** Splits an expression into tokens, ending with an `end` token. */
export const tokenize = (source: string): ReadonlyArray<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < source.length) {
    const c = source[i]!
    if (/\s/.test(c) || (c === "\\" && /^\\\r?\n/.test(source.slice(i, i + 3)))) {
      // Newlines are whitespace (a dict spread over lines), and so is a backslash ending a line.
      i++
      continue
    }
    const position = i + 1
    if (/[0-9]/.test(c)) {
      // After a '.', digits are an index (`items.0.name`), never the start of a decimal number.
      const afterDot = tokens[tokens.length - 1]?.text === "."
      const match = (afterDot ? /^\d+/ : /^(?:\d+\.\d*|\d+)(?:[eE][+-]?\d+)?/).exec(source.slice(i))![0]
      tokens.push({ kind: "number", text: match, value: Number(match), position })
      i += match.length
      continue
    }
    if (c === "'" || c === "\"") {
      let j = i + 1
      let text = ""
      while (j < source.length && source[j] !== c) {
        if (source[j] === "\\" && j + 1 < source.length) {
          const escaped = source[j + 1]!
          text += escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped === "r" ? "\r" : escaped
          j += 2
        } else {
          text += source[j]
          j++
        }
      }
      if (j >= source.length) fail("unterminated string", position)
      tokens.push({ kind: "string", text: source.slice(i, j + 1), value: text, position })
      i = j + 1
      continue
    }
    if (/[A-Za-z_$]/.test(c)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_]*/.exec(source.slice(i))![0]
      tokens.push({ kind: "name", text: match, position })
      i += match.length
      continue
    }
    const op = operators.find((candidate) => source.startsWith(candidate, i))
    if (op === undefined) fail(`unexpected character '${c}'`, position)
    tokens.push({ kind: "op", text: op!, position })
    i += op!.length
  }
  tokens.push({ kind: "end", text: "end of expression", position: source.length + 1 })
  return tokens
}

