/**
 * The expression language's recursive-descent parser. Nesting is counted as the descent recurses and checked again
 * on the finished tree, so no expression deeper than `maxDepth` reaches the evaluator.
 */
import * as Either from "effect/Either"
import type { Problem } from "./builtins.ts"
import { arityText, fail, Failure, functionArity, methodArity } from "./builtins.ts"
import type { Token } from "./tokenize.ts"
import { tokenize } from "./tokenize.ts"

/** The deepest an expression may nest (brackets, operators, calls): deeper ones fail to parse. */
export const maxDepth = 200


/** A parsed expression. */
export type Ast =
  | { readonly _tag: "Literal"; readonly value: unknown }
  | { readonly _tag: "Name"; readonly name: string; readonly position: number }
  | { readonly _tag: "Member"; readonly object: Ast; readonly key: string; readonly position: number }
  | { readonly _tag: "Index"; readonly object: Ast; readonly index: Ast; readonly position: number }
  | { readonly _tag: "List"; readonly items: ReadonlyArray<Ast>; readonly position: number }
  | {
    readonly _tag: "Dict"
    readonly entries: ReadonlyArray<{ readonly key: Ast; readonly value: Ast; readonly position: number }>
  }
  | { readonly _tag: "Not"; readonly operand: Ast }
  | { readonly _tag: "Negate"; readonly operand: Ast; readonly position: number }
  | { readonly _tag: "Logical"; readonly op: "and" | "or"; readonly left: Ast; readonly right: Ast }
  | { readonly _tag: "Conditional"; readonly test: Ast; readonly then: Ast; readonly otherwise: Ast }
  | {
    readonly _tag: "Arithmetic"
    readonly op: "+" | "-" | "*" | "/" | "%"
    readonly left: Ast
    readonly right: Ast
    readonly position: number
  }
  | {
    readonly _tag: "Compare"
    readonly first: Ast
    readonly rest: ReadonlyArray<{ readonly op: CompareOp; readonly operand: Ast; readonly position: number }>
  }
  | { readonly _tag: "Call"; readonly name: string; readonly args: ReadonlyArray<Ast>; readonly position: number }
  | {
    readonly _tag: "Method"
    readonly object: Ast
    readonly name: string
    readonly args: ReadonlyArray<Ast>
    readonly position: number
  }

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not"

const keywordLiterals: Record<string, unknown> = {
  true: true,
  false: false,
  null: null,
  True: true,
  False: false,
  None: null
}

const reserved = new Set(["and", "or", "not", "in", "is", "if", "else"])

/** Python words that start something this language does not have. */
const unsupported = new Set(["lambda", "for", "while", "def", "class", "import", "from", "return", "yield", "await"])

class Parser {
  private index = 0
  private depth = 0
  constructor(private readonly tokens: ReadonlyArray<Token>) {}

  private get peek(): Token {
    return this.tokens[this.index]!
  }

  private next(): Token {
    return this.tokens[this.index++]!
  }

  private isOp(text: string): boolean {
    return this.peek.kind === "op" && this.peek.text === text
  }

  private isWord(text: string): boolean {
    return this.peek.kind === "name" && this.peek.text === text
  }

  private expect(text: string): Token {
    if (!this.isOp(text)) fail(`expected '${text}' but found ${describe(this.peek)}`, this.peek.position)
    return this.next()
  }

  /** Counts nesting as the descent recurses, so that a hostile expression cannot overflow the stack. */
  private nested<A>(position: number, parse: () => A): A {
    if (++this.depth > maxDepth) fail(`expression nests deeper than ${maxDepth} levels`, position)
    const result = parse()
    this.depth--
    return result
  }

  parseAll(): Ast {
    const ast = this.expression()
    if (this.peek.kind !== "end") fail(`unexpected ${describe(this.peek)}`, this.peek.position)
    checkDepth(ast, 0)
    return ast
  }

  /** `then if test else otherwise`, the loosest binding of all, as in Python. */
  private expression(): Ast {
    return this.nested(this.peek.position, () => {
      const then = this.or()
      if (!this.isWord("if")) return then
      this.next()
      const test = this.or()
      if (!this.isWord("else")) fail(`expected 'else' but found ${describe(this.peek)}`, this.peek.position)
      this.next()
      return { _tag: "Conditional", test, then, otherwise: this.expression() }
    })
  }

  private or(): Ast {
    let left = this.and()
    while (this.isWord("or") || this.isOp("||")) {
      this.next()
      left = { _tag: "Logical", op: "or", left, right: this.and() }
    }
    return left
  }

  private and(): Ast {
    let left = this.not()
    while (this.isWord("and") || this.isOp("&&")) {
      this.next()
      left = { _tag: "Logical", op: "and", left, right: this.not() }
    }
    return left
  }

  private not(): Ast {
    if (this.isWord("not") || this.isOp("!")) {
      const token = this.next()
      return this.nested(token.position, () => ({ _tag: "Not", operand: this.not() }))
    }
    return this.comparison()
  }

  private wordAt(offset: number, text: string): boolean {
    const token = this.tokens[this.index + offset]
    return token?.kind === "name" && token.text === text
  }

  private compareOp(): CompareOp | undefined {
    const token = this.peek
    if (token.kind === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(token.text)) {
      this.next()
      return token.text as CompareOp
    }
    if (this.isWord("in")) {
      this.next()
      return "in"
    }
    if (this.isWord("not") && this.wordAt(1, "in")) {
      this.index += 2
      return "not in"
    }
    if (this.isWord("is")) {
      this.next()
      if (this.isWord("not")) {
        this.next()
        return "is not"
      }
      return "is"
    }
    return undefined
  }

  private comparison(): Ast {
    const first = this.additive()
    const rest: Array<{ op: CompareOp; operand: Ast; position: number }> = []
    for (;;) {
      const position = this.peek.position
      const op = this.compareOp()
      if (op === undefined) break
      rest.push({ op, operand: this.additive(), position })
    }
    return rest.length === 0 ? first : { _tag: "Compare", first, rest }
  }

  private additive(): Ast {
    let left = this.multiplicative()
    while (this.isOp("+") || this.isOp("-")) {
      const token = this.next()
      left = {
        _tag: "Arithmetic",
        op: token.text as "+" | "-",
        left,
        right: this.multiplicative(),
        position: token.position
      }
    }
    return left
  }

  private multiplicative(): Ast {
    let left = this.unary()
    while (this.isOp("*") || this.isOp("/") || this.isOp("%")) {
      const token = this.next()
      left = {
        _tag: "Arithmetic",
        op: token.text as "*" | "/" | "%",
        left,
        right: this.unary(),
        position: token.position
      }
    }
    return left
  }

  private unary(): Ast {
    if (this.isOp("-")) {
      const token = this.next()
      return this.nested(token.position, () => ({ _tag: "Negate", operand: this.unary(), position: token.position }))
    }
    if (this.isOp("+")) {
      const token = this.next()
      return this.nested(token.position, () => this.unary())
    }
    return this.postfix()
  }

  private postfix(): Ast {
    let ast = this.primary()
    for (;;) {
      if (this.isOp(".")) {
        const dot = this.next()
        const key = this.next()
        if (key.kind !== "name" && !(key.kind === "number" && /^\d+$/.test(key.text))) {
          fail(`expected a field name after '.' but found ${describe(key)}`, key.position)
        }
        ast = { _tag: "Member", object: ast, key: key.text, position: dot.position }
      } else if (this.isOp("[")) {
        const open = this.next()
        if (this.isOp(":")) fail("slices are not supported", this.peek.position)
        const index = this.expression()
        if (this.isOp(":")) fail("slices are not supported", this.peek.position)
        this.expect("]")
        ast = { _tag: "Index", object: ast, index, position: open.position }
      } else if (this.isOp("(") && ast._tag === "Member" && Object.hasOwn(methodArity, ast.key)) {
        // `state.get("key", default)`: a method of the value on the left, as in Python.
        const args = this.argumentList()
        const arity = methodArity[ast.key]!
        if (args.length < arity[0] || args.length > arity[1]) {
          fail(`.${ast.key}() ${arityText(arity)}, got ${args.length}`, ast.position)
        }
        ast = { _tag: "Method", object: ast.object, name: ast.key, args, position: ast.position }
      } else if (this.isOp("(")) {
        return ast._tag === "Name"
          ? fail(`unknown function '${ast.name}'; known: ${Object.keys(functionArity).join(", ")}`, ast.position)
          : ast._tag === "Member"
          ? fail(`unknown method '.${ast.key}()'; known: ${Object.keys(methodArity).join(", ")}`, ast.position)
          : fail("only the built-in functions can be called", this.peek.position)
      } else {
        return ast
      }
    }
  }

  /** Comma-separated expressions up to `close`; a trailing comma is allowed, as in Python. */
  private items(close: string, item: () => void): void {
    while (!this.isOp(close)) {
      item()
      if (this.isWord("for")) fail("comprehensions are not supported", this.peek.position)
      if (!this.isOp(",")) break
      this.next()
    }
    this.expect(close)
  }

  private argumentList(): ReadonlyArray<Ast> {
    const open = this.expect("(")
    const args: Array<Ast> = []
    this.nested(open.position, () => this.items(")", () => args.push(this.expression())))
    return args
  }

  private primary(): Ast {
    const token = this.next()
    switch (token.kind) {
      case "number":
      case "string":
        return { _tag: "Literal", value: token.value }
      case "name": {
        if (Object.hasOwn(keywordLiterals, token.text)) return { _tag: "Literal", value: keywordLiterals[token.text] }
        if (unsupported.has(token.text)) fail(`unsupported Python: '${token.text}'`, token.position)
        if (reserved.has(token.text)) fail(`unexpected '${token.text}'`, token.position)
        if (this.isOp("(") && Object.hasOwn(functionArity, token.text)) {
          const args = this.argumentList()
          const arity = functionArity[token.text]!
          if (args.length < arity[0] || args.length > arity[1]) {
            fail(`${token.text}() ${arityText(arity)}, got ${args.length}`, token.position)
          }
          return { _tag: "Call", name: token.text, args, position: token.position }
        }
        return { _tag: "Name", name: token.text, position: token.position }
      }
      case "op": {
        if (token.text === "(") {
          return this.nested(token.position, () => {
            if (this.isOp(")")) fail("tuples are not supported; use a list [..]", this.peek.position)
            const inner = this.expression()
            if (this.isOp(",")) fail("tuples are not supported; use a list [..]", this.peek.position)
            this.expect(")")
            return inner
          })
        }
        if (token.text === "[") {
          const items: Array<Ast> = []
          this.nested(token.position, () => this.items("]", () => items.push(this.expression())))
          return { _tag: "List", items, position: token.position }
        }
        if (token.text === "{") {
          const entries: Array<{ key: Ast; value: Ast; position: number }> = []
          this.nested(token.position, () =>
            this.items("}", () => {
              const position = this.peek.position
              const key = this.expression()
              if (!this.isOp(":")) {
                fail(
                  `expected ':' after a dict key but found ${describe(this.peek)} (sets are not supported)`,
                  this.peek.position
                )
              }
              this.next()
              entries.push({ key, value: this.expression(), position })
            }))
          return { _tag: "Dict", entries }
        }
        return fail(`unexpected ${describe(token)}`, token.position)
      }
      case "end":
        return fail("unexpected end of expression", token.position)
    }
  }
}

/** The nesting of the finished tree, whose left-leaning chains (`a + a + ...`, `a.b.c`) the parser does not count. */
const checkDepth = (ast: Ast, depth: number): void => {
  if (depth > maxDepth) {
    fail(`expression nests deeper than ${maxDepth} levels`, "position" in ast ? ast.position : undefined)
  }
  const d = depth + 1
  switch (ast._tag) {
    case "Literal":
    case "Name":
      return
    case "Member":
      return checkDepth(ast.object, d)
    case "Index":
      checkDepth(ast.object, d)
      return checkDepth(ast.index, d)
    case "List":
      return ast.items.forEach((item) => checkDepth(item, d))
    case "Dict":
      return ast.entries.forEach(({ key, value }) => {
        checkDepth(key, d)
        checkDepth(value, d)
      })
    case "Not":
    case "Negate":
      return checkDepth(ast.operand, d)
    case "Logical":
    case "Arithmetic":
      checkDepth(ast.left, d)
      return checkDepth(ast.right, d)
    case "Conditional":
      checkDepth(ast.test, d)
      checkDepth(ast.then, d)
      return checkDepth(ast.otherwise, d)
    case "Compare":
      checkDepth(ast.first, d)
      return ast.rest.forEach(({ operand }) => checkDepth(operand, d))
    case "Call":
      return ast.args.forEach((arg) => checkDepth(arg, d))
    case "Method":
      checkDepth(ast.object, d)
      return ast.args.forEach((arg) => checkDepth(arg, d))
  }
}

const describe = (token: Token): string => token.kind === "end" ? "end of expression" : `'${token.text}'`

/** Parses an expression. */
export const parse = (source: string): Either.Either<Ast, Problem> => {
  try {
    return Either.right(new Parser(tokenize(source)).parseAll())
  } catch (error) {
    if (error instanceof Failure) return Either.left(error.problem)
    return Either.left({ description: String(error) })
  }
}

