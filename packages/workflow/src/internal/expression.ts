/**
 * The expression language's tokenizer, recursive-descent parser and evaluator. Nothing here calls `eval`, builds a
 * function or touches a JavaScript object other than plain state data: names read state through `lookup` (own keys
 * of plain objects and array indices only), and only the functions in `functions` can be called.
 *
 * Parsing and evaluation signal errors by throwing a private `Failure` that never leaves this module: `parse` and
 * `evaluate` catch it and return an `Either`, which keeps the descent readable without threading results by hand.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { equals, isPlainObject, isTruthy, member, toText } from "./plainData.ts"

/** Why an expression could not be parsed or evaluated; `position` is 1-based within the source. */
export interface Problem {
  readonly description: string
  readonly position?: number
}

class Failure {
  constructor(readonly problem: Problem) {}
}

const fail = (description: string, position?: number): never => {
  throw new Failure(position === undefined ? { description } : { description, position })
}

// ---------------------------------------------------------------------------------------------------------------------
// Tokens

type TokenKind = "number" | "string" | "name" | "op" | "end"

interface Token {
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
  "!"
]

const tokenize = (source: string): ReadonlyArray<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < source.length) {
    const c = source[i]!
    if (/\s/.test(c)) {
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

// ---------------------------------------------------------------------------------------------------------------------
// Syntax tree

/** A parsed expression. */
export type Ast =
  | { readonly _tag: "Literal"; readonly value: unknown }
  | { readonly _tag: "Name"; readonly name: string; readonly position: number }
  | { readonly _tag: "Member"; readonly object: Ast; readonly key: string; readonly position: number }
  | { readonly _tag: "Index"; readonly object: Ast; readonly index: Ast; readonly position: number }
  | { readonly _tag: "List"; readonly items: ReadonlyArray<Ast> }
  | { readonly _tag: "Not"; readonly operand: Ast }
  | { readonly _tag: "Negate"; readonly operand: Ast; readonly position: number }
  | { readonly _tag: "Logical"; readonly op: "and" | "or"; readonly left: Ast; readonly right: Ast }
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

type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in"

const keywordLiterals: Record<string, unknown> = {
  true: true,
  false: false,
  null: null,
  True: true,
  False: false,
  None: null
}

/** The callable functions and how many arguments each takes. */
export const functionArity: Readonly<Record<string, number>> = {
  len: 1,
  str: 1,
  int: 1,
  float: 1,
  bool: 1,
  lower: 1,
  upper: 1,
  contains: 2,
  startswith: 2,
  endswith: 2,
  current_timestamp: 0
}

/** The methods values may call and how many arguments each takes (least, most): Python's `dict.get`. */
export const methodArity: Readonly<Record<string, readonly [number, number]>> = {
  get: [1, 2]
}

const reserved = new Set(["and", "or", "not", "in"])

class Parser {
  private index = 0
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

  parseAll(): Ast {
    const ast = this.or()
    if (this.peek.kind !== "end") fail(`unexpected ${describe(this.peek)}`, this.peek.position)
    return ast
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
      this.next()
      return { _tag: "Not", operand: this.not() }
    }
    return this.comparison()
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
    if (
      this.isWord("not") && this.tokens[this.index + 1]?.kind === "name" && this.tokens[this.index + 1]?.text === "in"
    ) {
      this.index += 2
      return "not in"
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
      return { _tag: "Negate", operand: this.unary(), position: token.position }
    }
    if (this.isOp("+")) {
      this.next()
      return this.unary()
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
        const index = this.or()
        this.expect("]")
        ast = { _tag: "Index", object: ast, index, position: open.position }
      } else if (this.isOp("(") && ast._tag === "Member" && Object.hasOwn(methodArity, ast.key)) {
        // `state.get("key", default)`: a method of the value on the left, as in Python.
        const args = this.argumentList()
        const [least, most] = methodArity[ast.key]!
        if (args.length < least || args.length > most) {
          fail(`.${ast.key}() takes ${least} to ${most} arguments, got ${args.length}`, ast.position)
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

  private argumentList(): ReadonlyArray<Ast> {
    this.expect("(")
    const args: Array<Ast> = []
    if (!this.isOp(")")) {
      args.push(this.or())
      while (this.isOp(",")) {
        this.next()
        args.push(this.or())
      }
    }
    this.expect(")")
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
        if (reserved.has(token.text)) fail(`unexpected '${token.text}'`, token.position)
        if (this.isOp("(") && Object.hasOwn(functionArity, token.text)) {
          const args = this.argumentList()
          const arity = functionArity[token.text]!
          if (args.length !== arity) {
            fail(
              `${token.text}() takes ${arity} argument${arity === 1 ? "" : "s"}, got ${args.length}`,
              token.position
            )
          }
          return { _tag: "Call", name: token.text, args, position: token.position }
        }
        return { _tag: "Name", name: token.text, position: token.position }
      }
      case "op": {
        if (token.text === "(") {
          const inner = this.or()
          this.expect(")")
          return inner
        }
        if (token.text === "[") {
          const items: Array<Ast> = []
          if (!this.isOp("]")) {
            items.push(this.or())
            while (this.isOp(",")) {
              this.next()
              if (this.isOp("]")) break
              items.push(this.or())
            }
          }
          this.expect("]")
          return { _tag: "List", items }
        }
        return fail(`unexpected ${describe(token)}`, token.position)
      }
      case "end":
        return fail("unexpected end of expression", token.position)
    }
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

// ---------------------------------------------------------------------------------------------------------------------
// Evaluation

const typeName = (value: unknown): string =>
  value === null || value === undefined
    ? "null"
    : Array.isArray(value)
    ? "list"
    : isPlainObject(value)
    ? "object"
    : typeof value

/** A value for an error message: its type and a short rendering (`string "abc"`, `number 3`, `null`). */
const show = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  const text = typeof value === "string" ? JSON.stringify(value) : toText(value)
  return `${typeName(value)} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`
}

const listNames = (state: Record<string, unknown>): string => {
  const keys = Object.keys(state)
  if (keys.length === 0) return "the state is empty"
  const shown = keys.slice(0, 12).join(", ")
  return `state keys: ${shown}${keys.length > 12 ? `, ... (${keys.length} in all)` : ""}`
}

const compare = (op: CompareOp, left: unknown, right: unknown, position: number): boolean => {
  switch (op) {
    case "==":
      return equals(left, right)
    case "!=":
      return !equals(left, right)
    case "in":
    case "not in": {
      let found: boolean
      if (Array.isArray(right)) found = right.some((item) => equals(item, left))
      else if (typeof right === "string") {
        if (typeof left !== "string") {
          fail(`'in' on a string needs a string on the left, got ${typeName(left)}`, position)
        }
        found = right.includes(left as string)
      } else if (isPlainObject(right)) found = typeof left === "string" && Object.hasOwn(right, left)
      else return fail(`'in' needs a list, a string or an object on the right, got ${typeName(right)}`, position)
      return op === "in" ? found : !found
    }
    default: {
      const comparable = (typeof left === "number" && typeof right === "number") ||
        (typeof left === "string" && typeof right === "string")
      if (!comparable) {
        fail(`cannot compare ${show(left)} with ${show(right)} using '${op}'`, position)
      }
      const a = left as number | string
      const b = right as number | string
      return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
    }
  }
}

const arithmetic = (op: "+" | "-" | "*" | "/" | "%", left: unknown, right: unknown, position: number): unknown => {
  if (op === "+") {
    if (typeof left === "string" && typeof right === "string") return left + right
    if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right]
  }
  if (typeof left !== "number" || typeof right !== "number") {
    const hint = op === "+" && (typeof left === "string" || typeof right === "string")
      ? " (use str() to join text)"
      : ""
    return fail(`cannot apply '${op}' to ${typeName(left)} and ${typeName(right)}${hint}`, position)
  }
  if ((op === "/" || op === "%") && right === 0) return fail("division by zero", position)
  switch (op) {
    case "+":
      return left + right
    case "-":
      return left - right
    case "*":
      return left * right
    case "/":
      return left / right
    case "%":
      return left % right
  }
}

const toNumber = (name: "int" | "float", value: unknown, position: number): number => {
  if (typeof value === "boolean") return value ? 1 : 0
  if (typeof value === "number") return name === "int" ? Math.trunc(value) : value
  if (typeof value === "string") {
    const text = value.trim()
    const pattern = name === "int" ? /^[+-]?\d+$/ : /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
    if (pattern.test(text)) return Number(text)
  }
  return fail(`${name}() cannot convert ${show(value)} to a number`, position)
}

const needString = (name: string, value: unknown, position: number): string =>
  typeof value === "string" ? value : fail(`${name}() needs a string, got ${typeName(value)}`, position)

/** What an evaluation may read besides state. */
export interface Environment {
  /** The current time in epoch milliseconds, for `current_timestamp()`; the executor reads it from `Clock`. */
  readonly now?: number | undefined
}

const call = (name: string, args: ReadonlyArray<unknown>, position: number, env: Environment): unknown => {
  const [a, b] = args
  switch (name) {
    case "current_timestamp":
      return env.now === undefined
        ? fail("current_timestamp() needs the current time, which this evaluation was not given", position)
        : new Date(env.now).toISOString()
    case "len":
      if (typeof a === "string" || Array.isArray(a)) return a.length
      if (isPlainObject(a)) return Object.keys(a).length
      return fail(`len() needs a string, a list or an object, got ${typeName(a)}`, position)
    case "str":
      return toText(a)
    case "int":
    case "float":
      return toNumber(name, a, position)
    case "bool":
      return isTruthy(a)
    case "lower":
      return needString(name, a, position).toLowerCase()
    case "upper":
      return needString(name, a, position).toUpperCase()
    case "contains":
      return compare("in", b, a, position)
    case "startswith":
      return needString(name, a, position).startsWith(needString(name, b, position))
    case "endswith":
      return needString(name, a, position).endsWith(needString(name, b, position))
    default:
      return fail(`unknown function '${name}'`, position)
  }
}

/** `value.name(args)`; only `get` exists: Python's `dict.get(key, default=None)` on objects. */
const method = (name: string, value: unknown, args: ReadonlyArray<unknown>, position: number): unknown => {
  const [key, fallback = null] = args
  if (name !== "get") return fail(`unknown method '.${name}()'`, position)
  if (!isPlainObject(value)) return fail(`.get() needs an object on the left, got ${show(value)}`, position)
  if (typeof key !== "string" && typeof key !== "number") {
    return fail(`.get() needs a string or number key, got ${typeName(key)}`, position)
  }
  return Option.getOrElse(member(value, key), () => fallback)
}

const evaluateAst = (ast: Ast, state: Record<string, unknown>, env: Environment): unknown => {
  const sub = (inner: Ast) => evaluateAst(inner, state, env)
  switch (ast._tag) {
    case "Literal":
      return ast.value
    case "Name": {
      if (ast.name === "$ctx") return state
      const value = member(state, ast.name)
      return Option.isSome(value) ? value.value : fail(`unknown name '${ast.name}' (${listNames(state)})`, ast.position)
    }
    case "Member":
      return Option.getOrNull(member(sub(ast.object), ast.key))
    case "Index": {
      const index = sub(ast.index)
      if (typeof index !== "string" && typeof index !== "number") {
        return fail(`an index must be a string or a number, got ${typeName(index)}`, ast.position)
      }
      return Option.getOrNull(member(sub(ast.object), index))
    }
    case "List":
      return ast.items.map(sub)
    case "Not":
      return !isTruthy(sub(ast.operand))
    case "Negate": {
      const value = sub(ast.operand)
      return typeof value === "number" ? -value : fail(`cannot negate ${typeName(value)}`, ast.position)
    }
    case "Logical": {
      // Python semantics: the deciding operand is the result, so `name or "anonymous"` gives a value.
      const left = sub(ast.left)
      if (ast.op === "and") return isTruthy(left) ? sub(ast.right) : left
      return isTruthy(left) ? left : sub(ast.right)
    }
    case "Arithmetic":
      return arithmetic(ast.op, sub(ast.left), sub(ast.right), ast.position)
    case "Compare": {
      // Chains like `0 < x <= 10` mean `0 < x and x <= 10`, as in Python.
      let left = sub(ast.first)
      for (const { op, operand, position } of ast.rest) {
        const right = sub(operand)
        if (!compare(op, left, right, position)) return false
        left = right
      }
      return true
    }
    case "Method":
      return method(ast.name, sub(ast.object), ast.args.map(sub), ast.position)
    case "Call":
      return call(ast.name, ast.args.map(sub), ast.position, env)
  }
}

/** Evaluates a parsed expression against state. */
export const evaluate = (
  ast: Ast,
  state: Record<string, unknown>,
  env: Environment = {}
): Either.Either<unknown, Problem> => {
  try {
    return Either.right(evaluateAst(ast, state, env))
  } catch (error) {
    if (error instanceof Failure) return Either.left(error.problem)
    return Either.left({ description: String(error) })
  }
}

/** Whether an expression is one bare name (a state key or the name of a registered condition). */
export const isBareName = (ast: Ast): ast is Extract<Ast, { _tag: "Name" }> => ast._tag === "Name"
