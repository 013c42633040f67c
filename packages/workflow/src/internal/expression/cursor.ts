/**
 * The parser's reading position in the token list, and the nesting it has counted so far. The grammar is split
 * across modules (`./parser.ts` for operators and literals, `./calls.ts`, `./comprehensions.ts`, `./subscripts.ts`);
 * each part reads tokens through a `Cursor` and recurses into the whole grammar through its two entry points.
 */
import type { Ast } from "./ast.ts"
import { fail } from "./failure.ts"
import { maxDepth } from "./limits.ts"
import type { Token } from "./tokenize.ts"

/** A token for an error message: `'x'`, or `end of expression`. */
export const describe = (token: Token): string => token.kind === "end" ? "end of expression" : `'${token.text}'`

/** Reads tokens one at a time; the grammar's rules extend it. */
export abstract class Cursor {
  protected index = 0
  private depth = 0
  constructor(private readonly tokens: ReadonlyArray<Token>) {}

  /** A whole expression, `a if b else c` included. */
  abstract expression(): Ast

  /** An `or`-level expression: what a comprehension's iterable and filters are, so `if` there is a filter. */
  abstract or(): Ast

  /** The token at the reading position. */
  get peek(): Token {
    return this.tokens[this.index]!
  }

  /** The token at the reading position, moving past it. */
  next(): Token {
    return this.tokens[this.index++]!
  }

  /** Whether the next token is the operator `text`. */
  isOp(text: string): boolean {
    return this.peek.kind === "op" && this.peek.text === text
  }

  /** Whether the next token is the word `text`. */
  isWord(text: string): boolean {
    return this.peek.kind === "name" && this.peek.text === text
  }

  /** Whether the token `offset` places ahead is the operator `text`. */
  opAt(offset: number, text: string): boolean {
    const token = this.tokens[this.index + offset]
    return token?.kind === "op" && token.text === text
  }

  /** Whether the token `offset` places ahead is the word `text`. */
  wordAt(offset: number, text: string): boolean {
    const token = this.tokens[this.index + offset]
    return token?.kind === "name" && token.text === text
  }

  /** Moves past the operator `text`, or fails naming what is there instead. */
  expect(text: string): Token {
    if (!this.isOp(text)) fail(`expected '${text}' but found ${describe(this.peek)}`, this.peek.position)
    return this.next()
  }

  /** Counts nesting as the descent recurses, so that a hostile expression cannot overflow the stack. */
  nested<A>(position: number, parse: () => A): A {
    if (++this.depth > maxDepth) fail(`expression nests deeper than ${maxDepth} levels`, position)
    const result = parse()
    this.depth--
    return result
  }
}
