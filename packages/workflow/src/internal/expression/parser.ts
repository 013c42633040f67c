/**
 * The expression language's recursive-descent parser. Nesting is counted as the descent recurses and checked again
 * on the finished tree, so no expression deeper than `maxDepth` reaches the evaluator.
 */
import * as Either from "effect/Either"
import type { Problem } from "./builtins.ts"
import type { Keywords } from "./builtins.ts"
import {
  arityText,
  fail,
  Failure,
  functionArity,
  functionKeywords,
  methodArity,
  methodKeywords,
  typeNames
} from "./builtins.ts"
import type { Token } from "./tokenize.ts"
import { tokenize } from "./tokenize.ts"

/** The deepest an expression may nest (brackets, operators, calls): deeper ones fail to parse. */
export const maxDepth = 200


/** A keyword argument (`reverse=True`) that the function reads by name. */
export interface Keyword {
  readonly name: string
  readonly value: Ast
  readonly position: number
}

/** What a comprehension's `for` binds: a name, or names unpacked from a list (`for i, item in enumerate(xs)`). */
export type Target =
  | { readonly _tag: "Name"; readonly name: string; readonly position: number }
  | { readonly _tag: "Tuple"; readonly items: ReadonlyArray<Target>; readonly position: number }

/** One `for target in iterable` or `if test` of a comprehension, in source order. */
export type Clause =
  | { readonly _tag: "For"; readonly target: Target; readonly iterable: Ast; readonly position: number }
  | { readonly _tag: "If"; readonly test: Ast }

/** A parsed expression. */
export type Ast =
  | { readonly _tag: "Literal"; readonly value: unknown }
  | { readonly _tag: "Name"; readonly name: string; readonly position: number }
  | { readonly _tag: "Member"; readonly object: Ast; readonly key: string; readonly position: number }
  | { readonly _tag: "Index"; readonly object: Ast; readonly index: Ast; readonly position: number }
  | {
    readonly _tag: "Slice"
    readonly object: Ast
    readonly start: Ast | undefined
    readonly stop: Ast | undefined
    readonly step: Ast | undefined
    readonly position: number
  }
  | {
    /** `[e for ...]` and `(e for ...)` build a list, `{e for ...}` one of distinct items, `{k: v for ...}` a dict. */
    readonly _tag: "Comprehension"
    readonly kind: "list" | "set" | "dict"
    readonly element: Ast
    /** The value of a dict comprehension, whose `element` is the key. */
    readonly value: Ast | undefined
    readonly clauses: ReadonlyArray<Clause>
    readonly position: number
  }
  | {
    readonly _tag: "IsInstance"
    readonly value: Ast
    readonly types: ReadonlyArray<string>
    readonly position: number
  }
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
  | {
    readonly _tag: "Call"
    readonly name: string
    readonly args: ReadonlyArray<Ast>
    readonly keywords: ReadonlyArray<Keyword>
    readonly position: number
  }
  | {
    readonly _tag: "Method"
    readonly object: Ast
    readonly name: string
    /** Methods take keyword arguments only in place of positional ones (`.split(sep=",")`). */
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

  private opAt(offset: number, text: string): boolean {
    const token = this.tokens[this.index + offset]
    return token?.kind === "op" && token.text === text
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
    if (this.isOp("=")) fail("unexpected '=' (use '==' to compare)", this.peek.position)
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
        ast = this.subscript(ast)
      } else if (this.isOp("(") && ast._tag === "Member" && Object.hasOwn(methodArity, ast.key)) {
        // `state.get("key", default)`: a method of the value on the left, as in Python.
        const label = `.${ast.key}()`
        const { args } = this.callArguments(
          label,
          methodArity[ast.key]!,
          Object.hasOwn(methodKeywords, ast.key) ? methodKeywords[ast.key] : undefined,
          ast.position
        )
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

  /** `x[i]`, or a slice `x[start:stop:step]` whose parts may each be left out, as in Python. */
  private subscript(object: Ast): Ast {
    const open = this.next()
    const start = this.isOp(":") ? undefined : this.expression()
    if (start !== undefined && !this.isOp(":")) {
      this.expect("]")
      return { _tag: "Index", object, index: start, position: open.position }
    }
    this.next()
    const stop = this.isOp(":") || this.isOp("]") ? undefined : this.expression()
    let step: Ast | undefined
    if (this.isOp(":")) {
      this.next()
      step = this.isOp("]") ? undefined : this.expression()
    }
    this.expect("]")
    return { _tag: "Slice", object, start, stop, step, position: open.position }
  }

  /**
   * `(a, b, key=value)` of a call: positional arguments, then keyword arguments, or one generator expression
   * (`sum(len(d) for d in docs)`). A keyword naming a parameter that may also be positional fills its place, so
   * `round(x, ndigits=2)` is `round(x, 2)`; the others are read by name.
   */
  private callArguments(
    label: string,
    arity: readonly [number, number],
    accepted: Keywords | undefined,
    position: number
  ): { readonly args: ReadonlyArray<Ast>; readonly keywords: ReadonlyArray<Keyword> } {
    const open = this.expect("(")
    const args: Array<Ast> = []
    const given: Array<Keyword> = []
    this.nested(open.position, () => {
      while (!this.isOp(")")) {
        if (this.peek.kind === "name" && this.opAt(1, "=")) {
          const name = this.next()
          if (!isBindable(name.text)) fail(`'${name.text}' cannot name a keyword argument`, name.position)
          this.next()
          if (given.some((keyword) => keyword.name === name.text)) {
            fail(`${label} got keyword argument '${name.text}' twice`, name.position)
          }
          given.push({ name: name.text, value: this.expression(), position: name.position })
        } else {
          if (given.length > 0) fail("a positional argument cannot follow a keyword argument", this.peek.position)
          const start = this.peek.position
          const arg = this.expression()
          if (this.isWord("for")) {
            const generator = this.comprehension("list", arg, undefined, start)
            if (args.length > 0 || !this.isOp(")")) {
              fail("a generator expression must be the only argument, or be put in parentheses", start)
            }
            args.push(generator)
            break
          }
          args.push(arg)
        }
        if (!this.isOp(",")) break
        this.next()
      }
      this.expect(")")
    })
    const keywords: Array<Keyword> = []
    const placed: Array<{ readonly slot: number; readonly keyword: Keyword }> = []
    for (const keyword of given) {
      const slot = accepted === "any"
        ? "keyword"
        : accepted !== undefined && Object.hasOwn(accepted, keyword.name)
        ? accepted[keyword.name]!
        : undefined
      if (slot === undefined) {
        const known = accepted === undefined || accepted === "any" ? [] : Object.keys(accepted)
        fail(
          `${label} has no keyword argument '${keyword.name}'` +
            (known.length === 0 ? " (it takes none)" : `; it takes: ${known.join(", ")}`),
          keyword.position
        )
      }
      if (slot === "keyword") keywords.push(keyword)
      else placed.push({ slot: slot!, keyword })
    }
    for (const { keyword, slot } of placed.sort((a, b) => a.slot - b.slot)) {
      if (slot < args.length) fail(`${label} got '${keyword.name}' both by position and by keyword`, keyword.position)
      if (slot > args.length) fail(`${label} needs the arguments before '${keyword.name}'`, keyword.position)
      args.push(keyword.value)
    }
    if (args.length < arity[0] || args.length > arity[1]) {
      fail(`${label} ${arityText(arity)}, got ${args.length}`, position)
    }
    return { args, keywords }
  }

  /**
   * The clauses after a comprehension's element: `for target in iterable`, each followed by any number of
   * `if test`, and more `for`s for nested loops. The iterable and the tests are `or`-level expressions, as in Python,
   * so an `if` after the iterable is a filter, not a conditional expression.
   */
  private comprehension(kind: "list" | "set" | "dict", element: Ast, value: Ast | undefined, position: number): Ast {
    const clauses: Array<Clause> = []
    while (this.isWord("for")) {
      const token = this.next()
      const target = this.targetList()
      if (!this.isWord("in")) fail(`expected 'in' after 'for ...' but found ${describe(this.peek)}`, this.peek.position)
      this.next()
      clauses.push({ _tag: "For", target, iterable: this.or(), position: token.position })
      while (this.isWord("if")) {
        this.next()
        clauses.push({ _tag: "If", test: this.or() })
      }
    }
    return { _tag: "Comprehension", kind, element, value, clauses, position }
  }

  /** `x`, `i, item`, `k, (a, b)`: the names a `for` binds. */
  private targetList(): Target {
    const first = this.target()
    if (!this.isOp(",")) return first
    const items = [first]
    while (this.isOp(",")) {
      this.next()
      if (this.isWord("in") || this.isOp(")") || this.isOp("]")) break
      items.push(this.target())
    }
    return { _tag: "Tuple", items, position: first.position }
  }

  private target(): Target {
    const token = this.next()
    if (token.kind === "op" && (token.text === "(" || token.text === "[")) {
      return this.nested(token.position, () => {
        const inner = this.targetList()
        this.expect(token.text === "(" ? ")" : "]")
        return inner
      })
    }
    if (token.kind !== "name" || !isBindable(token.text) || token.text.startsWith("$")) {
      return fail(`expected a name after 'for' but found ${describe(token)}`, token.position)
    }
    return { _tag: "Name", name: token.text, position: token.position }
  }

  /** `isinstance(x, T)` or `isinstance(x, (T, U))`: the types are names known to the parser, not values. */
  private isInstance(name: Token): Ast {
    const open = this.expect("(")
    return this.nested(open.position, () => {
      const value = this.expression()
      if (!this.isOp(",")) fail("isinstance() takes 2 arguments: a value and a type", name.position)
      this.next()
      const types: Array<string> = []
      if (this.isOp("(")) {
        this.next()
        do {
          types.push(this.typeName())
          if (!this.isOp(",")) break
          this.next()
        } while (!this.isOp(")"))
        this.expect(")")
      } else {
        types.push(this.typeName())
      }
      if (this.isOp(",")) this.next()
      if (!this.isOp(")")) fail("isinstance() takes 2 arguments: a value and a type", name.position)
      this.next()
      return { _tag: "IsInstance", value, types, position: name.position }
    })
  }

  private typeName(): string {
    const token = this.next()
    if (token.kind === "name" && Object.hasOwn(typeNames, token.text)) return token.text
    return fail(
      `isinstance() needs a type (${Object.keys(typeNames).join(", ")}) or a tuple of them, ` +
        `but found ${describe(token)}`,
      token.position
    )
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
        if (token.text === "isinstance" && this.isOp("(")) return this.isInstance(token)
        if (this.isOp("(") && Object.hasOwn(functionArity, token.text)) {
          const label = `${token.text}()`
          const { args, keywords } = this.callArguments(
            label,
            functionArity[token.text]!,
            Object.hasOwn(functionKeywords, token.text) ? functionKeywords[token.text] : undefined,
            token.position
          )
          if (functionKeywords[token.text] === "any" && keywords.length === 0) {
            fail(`${label} needs at least one field=value criterion`, token.position)
          }
          return { _tag: "Call", name: token.text, args, keywords, position: token.position }
        }
        return { _tag: "Name", name: token.text, position: token.position }
      }
      case "op": {
        if (token.text === "(") {
          return this.nested(token.position, () => {
            if (this.isOp(")")) fail("tuples are not supported; use a list [..]", this.peek.position)
            const inner = this.expression()
            const result = this.isWord("for") ? this.comprehension("list", inner, undefined, token.position) : inner
            if (this.isOp(",")) fail("tuples are not supported; use a list [..]", this.peek.position)
            this.expect(")")
            return result
          })
        }
        if (token.text === "[") return this.nested(token.position, () => this.list(token.position))
        if (token.text === "{") return this.nested(token.position, () => this.dictOrSet(token.position))
        return fail(`unexpected ${describe(token)}`, token.position)
      }
      case "end":
        return fail("unexpected end of expression", token.position)
    }
  }

  /** After `[`: a list literal (a trailing comma is allowed, as in Python) or a list comprehension. */
  private list(position: number): Ast {
    const items: Array<Ast> = []
    while (!this.isOp("]")) {
      const item = this.expression()
      if (this.isWord("for")) {
        if (items.length > 0) fail("a comprehension must be alone in its brackets", this.peek.position)
        const comprehension = this.comprehension("list", item, undefined, position)
        this.expect("]")
        return comprehension
      }
      items.push(item)
      if (!this.isOp(",")) break
      this.next()
    }
    this.expect("]")
    return { _tag: "List", items, position }
  }

  /** After `{`: a dict literal (a trailing comma is allowed), a dict comprehension or a set comprehension. */
  private dictOrSet(position: number): Ast {
    const entries: Array<{ key: Ast; value: Ast; position: number }> = []
    while (!this.isOp("}")) {
      const start = this.peek.position
      const key = this.expression()
      if (entries.length === 0 && this.isWord("for")) {
        const comprehension = this.comprehension("set", key, undefined, position)
        this.expect("}")
        return comprehension
      }
      if (!this.isOp(":")) {
        fail(
          `expected ':' after a dict key but found ${describe(this.peek)} ` +
            "(set literals are not supported; set comprehensions {x for x in items} are)",
          this.peek.position
        )
      }
      this.next()
      const value = this.expression()
      if (this.isWord("for")) {
        if (entries.length > 0) fail("a comprehension must be alone in its braces", this.peek.position)
        const comprehension = this.comprehension("dict", key, value, position)
        this.expect("}")
        return comprehension
      }
      entries.push({ key, value, position: start })
      if (!this.isOp(",")) break
      this.next()
    }
    this.expect("}")
    return { _tag: "Dict", entries }
  }
}

/** Whether a word may be bound by a `for` or name a keyword argument: not a keyword of the language. */
const isBindable = (word: string): boolean =>
  !Object.hasOwn(keywordLiterals, word) && !reserved.has(word) && !unsupported.has(word)

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
    case "Slice":
      checkDepth(ast.object, d)
      for (const part of [ast.start, ast.stop, ast.step]) if (part !== undefined) checkDepth(part, d)
      return
    case "IsInstance":
      return checkDepth(ast.value, d)
    case "Comprehension": {
      // Each clause runs inside the ones before it, and the element inside them all.
      ast.clauses.forEach((clause, i) => {
        if (clause._tag === "If") return checkDepth(clause.test, d + i)
        checkTargetDepth(clause.target, d + i)
        checkDepth(clause.iterable, d + i)
      })
      const inner = d + ast.clauses.length
      checkDepth(ast.element, inner)
      if (ast.value !== undefined) checkDepth(ast.value, inner)
      return
    }
    case "Call":
      ast.args.forEach((arg) => checkDepth(arg, d))
      return ast.keywords.forEach(({ value }) => checkDepth(value, d))
    case "Method":
      checkDepth(ast.object, d)
      return ast.args.forEach((arg) => checkDepth(arg, d))
  }
}

const checkTargetDepth = (target: Target, depth: number): void => {
  if (depth > maxDepth) fail(`expression nests deeper than ${maxDepth} levels`, target.position)
  if (target._tag === "Tuple") target.items.forEach((item) => checkTargetDepth(item, depth + 1))
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

