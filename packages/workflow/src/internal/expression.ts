/**
 * The expression language: its evaluator, and the parser (`./expression/parser.ts`) it re-exports. Nothing here
 * calls `eval`, builds a function or touches a JavaScript object other than plain state data: names read state
 * through `member` (own keys of plain objects and array indices only), and only the allow-listed functions
 * (`./expression/functions.ts`), methods (`./expression/methods.ts`) and the functions the evaluation is given
 * (`Environment.functions`, a registry's) can be called; those get copies of plain data and must return plain data
 * (`./expression/registered.ts`).
 *
 * Parsing and evaluation signal errors by throwing a private `Failure` (`./expression/failure.ts`) that never leaves
 * these modules: `parse` and `evaluate` catch it and return an `Either`, which keeps the descent readable without
 * threading results by hand.
 *
 * Bounds (`./expression/limits.ts`): parsing fails past `maxDepth` levels of nesting (so evaluation's recursion is
 * bounded too), building a string or list longer than `maxLength` fails, and the comprehensions of one evaluation
 * share a budget of `maxSteps` (each item visited, and inside them the size of each value built or scanned), so
 * neither a hostile expression nor a hostile state can make an evaluation explode. Outside a comprehension every node
 * runs at most once.
 *
 * Comprehension names live in a `Scope` chain of maps, looked up before the state and dropped when the comprehension
 * ends: they never touch the state object.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Ast, CompareOp, Target } from "./expression/ast.ts"
import type { Problem } from "./expression/failure.ts"
import { fail, Failure } from "./expression/failure.ts"
import { call, noKeywords } from "./expression/functions.ts"
import { index, indexKey, slice } from "./expression/indexing.ts"
import { checkLength, maxSteps } from "./expression/limits.ts"
import { method } from "./expression/methods.ts"
import { callRegistered, isBuiltin } from "./expression/registered.ts"
import type { Environment } from "./expression/signatures.ts"
import { typeNames } from "./expression/signatures.ts"
import { contains, distinct, iterate, newObject, ordered, setOwn, show, typeName } from "./expression/values.ts"
import { equals, isPlainObject, isTruthy, member } from "./plainData.ts"

export type { Ast } from "./expression/ast.ts"
export type { Problem } from "./expression/failure.ts"
export { functionCalls } from "./expression/functionCalls.ts"
export { isBuiltin, registeredText } from "./expression/registered.ts"
export { maxDepth, maxLength, maxRange, maxSteps } from "./expression/limits.ts"
export { parse } from "./expression/parser.ts"
export type { Environment, Registered } from "./expression/signatures.ts"
export { functionArity, functionKeywords, methodArity, methodKeywords, typeNames } from "./expression/signatures.ts"

// ---------------------------------------------------------------------------------------------------------------------
// Evaluation

const listNames = (state: Record<string, unknown>): string => {
  const keys = Object.keys(state)
  if (keys.length === 0) return "the state is empty"
  const shown = keys.slice(0, 12).join(", ")
  return `state keys: ${shown}${keys.length > 12 ? `, ... (${keys.length} in all)` : ""}`
}

/**
 * Python's `is`, for plain data: `None`, `True` and `False` are identical to themselves; a list or an object is
 * identical only to itself (the same value read twice, `x is x`); numbers and strings are never identical (compare
 * them with `==`).
 */
const identical = (left: unknown, right: unknown): boolean => {
  const l = left === undefined ? null : left
  const r = right === undefined ? null : right
  if (l === null || r === null || typeof l === "boolean" || typeof r === "boolean") return l === r
  return typeof l === "object" && l === r
}

const compare = (op: CompareOp, left: unknown, right: unknown, position: number): boolean => {
  switch (op) {
    case "==":
      return equals(left, right)
    case "!=":
      return !equals(left, right)
    case "is":
      return identical(left, right)
    case "is not":
      return !identical(left, right)
    case "in":
      return contains(left, right, position)
    case "not in":
      return !contains(left, right, position)
    default: {
      if (!ordered(left, right)) fail(`cannot compare ${show(left)} with ${show(right)} using '${op}'`, position)
      const a = left as number | string
      const b = right as number | string
      return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
    }
  }
}

const arithmetic = (op: "+" | "-" | "*" | "/" | "%", left: unknown, right: unknown, position: number): unknown => {
  if (op === "+") {
    if (typeof left === "string" && typeof right === "string") {
      checkLength(left.length + right.length, "string", "'+'", position)
      return left + right
    }
    if (Array.isArray(left) && Array.isArray(right)) {
      checkLength(left.length + right.length, "list", "'+'", position)
      return [...left, ...right]
    }
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

/** The names a comprehension has bound, innermost first; a comprehension's names never reach the state. */
interface Scope {
  readonly names: Map<string, unknown>
  readonly parent: Scope | undefined
}

/** One evaluation: the state it reads, what else it may read, and the work its comprehensions have done. */
interface Run {
  readonly state: Record<string, unknown>
  readonly env: Environment
  steps: number
}

const noKeywordValues: ReadonlyArray<readonly [string, unknown]> = []

/** The size a value counts for in the work budget: its characters, items or keys (a number or a boolean, none). */
const sizeOf = (value: unknown): number =>
  typeof value === "string" || Array.isArray(value)
    ? value.length
    : typeof value === "object" && value !== null
    ? Object.keys(value).length
    : 0

/** Counts work done inside a comprehension (outside one, every node runs at most once, so nothing is counted). */
const charge = (run: Run, scope: Scope | undefined, steps: number, position: number): void => {
  if (scope === undefined) return
  run.steps += steps
  if (run.steps > maxSteps) {
    fail(
      `the comprehensions of this expression would do more than ${maxSteps} steps of work ` +
        "(items visited, and the sizes of the values built or scanned for each)",
      position
    )
  }
}

const lookupName = (scope: Scope | undefined, name: string): Option.Option<unknown> => {
  for (let at = scope; at !== undefined; at = at.parent) {
    if (at.names.has(name)) return Option.some(at.names.get(name))
  }
  return Option.none()
}

const bind = (target: Target, value: unknown, names: Map<string, unknown>): void => {
  if (target._tag === "Name") {
    names.set(target.name, value)
    return
  }
  if (!Array.isArray(value) || value.length !== target.items.length) {
    return fail(
      `cannot unpack ${show(value)} into ${target.items.length} names` +
        (Array.isArray(value) ? ` (it has ${value.length} items)` : ""),
      target.position
    )
  }
  target.items.forEach((item, i) => bind(item, value[i], names))
}

const comprehend = (
  ast: Extract<Ast, { _tag: "Comprehension" }>,
  run: Run,
  outer: Scope | undefined
): unknown => {
  const scope: Scope = { names: new Map(), parent: outer }
  const items: Array<unknown> = []
  const dict = ast.kind === "dict" ? newObject() : undefined
  const produce = () => {
    const element = evaluateAst(ast.element, run, scope)
    if (dict === undefined) {
      items.push(element)
      return
    }
    if (typeof element !== "string") fail(`a dict key must be a string, got ${show(element)}`, ast.position)
    setOwn(dict, element as string, evaluateAst(ast.value!, run, scope))
  }
  const loop = (i: number): void => {
    const clause = ast.clauses[i]
    if (clause === undefined) return produce()
    if (clause._tag === "If") {
      if (isTruthy(evaluateAst(clause.test, run, scope))) loop(i + 1)
      return
    }
    // The first iterable is read in the enclosing scope, as in Python; later ones may use the names bound before.
    const iterable = evaluateAst(clause.iterable, run, i === 0 ? outer : scope)
    for (const item of iterate(iterable, clause.position)) {
      charge(run, scope, 1, clause.position)
      bind(clause.target, item, scope.names)
      loop(i + 1)
    }
  }
  loop(0)
  if (dict !== undefined) return dict
  return ast.kind === "set" ? distinct(items, "set items", ast.position) : items
}

const evaluateAst = (ast: Ast, run: Run, scope: Scope | undefined): unknown => {
  switch (ast._tag) {
    case "Literal":
      return ast.value
    case "Name": {
      if (scope !== undefined) {
        const bound = lookupName(scope, ast.name)
        if (Option.isSome(bound)) return bound.value
      }
      const state = run.state
      if (ast.name === "$ctx") return state
      const value = member(state, ast.name)
      if (Option.isSome(value)) return value.value
      // `ctx` is the whole state too (upstream files write `ctx.get(...)`), unless state has a key `ctx`.
      if (ast.name === "ctx") return state
      return fail(`unknown name '${ast.name}' (${listNames(state)})`, ast.position)
    }
    case "Member":
      return Option.getOrNull(member(evaluateAst(ast.object, run, scope), ast.key))
    case "Index": {
      const key = indexKey(evaluateAst(ast.index, run, scope), ast.position)
      return index(evaluateAst(ast.object, run, scope), key)
    }
    case "Slice": {
      const part = (inner: Ast | undefined) => inner === undefined ? undefined : evaluateAst(inner, run, scope)
      const result = slice(
        evaluateAst(ast.object, run, scope),
        part(ast.start),
        part(ast.stop),
        part(ast.step),
        ast.position
      )
      charge(run, scope, result.length, ast.position)
      return result
    }
    case "List": {
      const items = ast.items.map((item) => evaluateAst(item, run, scope))
      charge(run, scope, items.length, ast.position)
      return items
    }
    case "Dict": {
      const result = newObject()
      for (const entry of ast.entries) {
        const key = evaluateAst(entry.key, run, scope)
        if (typeof key !== "string") return fail(`a dict key must be a string, got ${show(key)}`, entry.position)
        setOwn(result, key, evaluateAst(entry.value, run, scope))
        charge(run, scope, 1, entry.position)
      }
      return result
    }
    case "Comprehension": {
      const result = comprehend(ast, run, scope)
      if (scope !== undefined) charge(run, scope, sizeOf(result), ast.position)
      return result
    }
    case "IsInstance": {
      const value = evaluateAst(ast.value, run, scope)
      return ast.types.some((type) => typeNames[type]!(value))
    }
    case "Not":
      return !isTruthy(evaluateAst(ast.operand, run, scope))
    case "Negate": {
      const value = evaluateAst(ast.operand, run, scope)
      return typeof value === "number" ? -value : fail(`cannot negate ${typeName(value)}`, ast.position)
    }
    case "Logical": {
      // Python semantics: the deciding operand is the result, so `name or "anonymous"` gives a value.
      const left = evaluateAst(ast.left, run, scope)
      if (ast.op === "and") return isTruthy(left) ? evaluateAst(ast.right, run, scope) : left
      return isTruthy(left) ? left : evaluateAst(ast.right, run, scope)
    }
    case "Conditional":
      return isTruthy(evaluateAst(ast.test, run, scope))
        ? evaluateAst(ast.then, run, scope)
        : evaluateAst(ast.otherwise, run, scope)
    case "Arithmetic": {
      const result = arithmetic(
        ast.op,
        evaluateAst(ast.left, run, scope),
        evaluateAst(ast.right, run, scope),
        ast.position
      )
      if (scope !== undefined) charge(run, scope, sizeOf(result), ast.position)
      return result
    }
    case "Compare": {
      // Chains like `0 < x <= 10` mean `0 < x and x <= 10`, as in Python.
      let left = evaluateAst(ast.first, run, scope)
      for (const { op, operand, position } of ast.rest) {
        const right = evaluateAst(operand, run, scope)
        if (scope !== undefined) {
          // `key in object` is a lookup; every other comparison may go over both operands.
          const scanned = (op === "in" || op === "not in") && isPlainObject(right) ? 0 : sizeOf(right)
          charge(run, scope, sizeOf(left) + scanned, position)
        }
        if (!compare(op, left, right, position)) return false
        left = right
      }
      return true
    }
    case "Method": {
      const object = evaluateAst(ast.object, run, scope)
      const args = ast.args.map((arg) => evaluateAst(arg, run, scope))
      const result = method(ast.name, object, args, ast.position)
      if (scope !== undefined) {
        // `.get(key)` is a lookup; the other methods may go over the value they are called on.
        const scanned = args.reduce((n: number, arg) => n + sizeOf(arg), ast.name === "get" ? 0 : sizeOf(object))
        charge(run, scope, scanned + sizeOf(result), ast.position)
      }
      return result
    }
    case "Call": {
      // `locals()` is the state, as `ctx` is: upstream files ask `'name' in locals()`.
      if (ast.name === "locals") return run.state
      const args = ast.args.map((arg) => evaluateAst(arg, run, scope))
      const keywords = ast.keywords.length === 0
        ? noKeywordValues
        : ast.keywords.map(({ name, value }) => [name, evaluateAst(value, run, scope)] as const)
      // Any other name is a registry's function (the parser checked the built-ins' calls, not theirs).
      const result = !isBuiltin(ast.name)
        ? callRegistered(ast.name, args, keywords, ast.position, run.env)
        : call(ast.name, args, keywords.length === 0 ? noKeywords : new Map(keywords), ast.position, run.env)
      if (scope !== undefined) {
        charge(run, scope, args.reduce((n: number, arg) => n + sizeOf(arg), sizeOf(result)), ast.position)
      }
      return result
    }
  }
}

/** Evaluates a parsed expression against state. */
export const evaluate = (
  ast: Ast,
  state: Record<string, unknown>,
  env: Environment = {}
): Either.Either<unknown, Problem> => {
  try {
    return Either.right(evaluateAst(ast, { state, env, steps: 0 }, undefined))
  } catch (error) {
    if (error instanceof Failure) return Either.left(error.problem)
    return Either.left({ description: String(error) })
  }
}

/** Whether an expression is one bare name (a state key or the name of a registered condition). */
export const isBareName = (ast: Ast): ast is Extract<Ast, { _tag: "Name" }> => ast._tag === "Name"
