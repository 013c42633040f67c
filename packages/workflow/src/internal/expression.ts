/**
 * The expression language: its evaluator, and the tokenizer (`./expression/tokenize.ts`) and parser
 * (`./expression/parser.ts`) it re-exports. Nothing here calls `eval`, builds a
 * function or touches a JavaScript object other than plain state data: names read state through `lookup` (own keys
 * of plain objects and array indices only), and only the allow-listed functions and methods can be called.
 *
 * Parsing and evaluation signal errors by throwing a private `Failure` (from `./expression/builtins.ts`, which holds
 * the allow-listed functions and methods) that never leaves these modules: `parse` and `evaluate` catch it and return
 * an `Either`, which keeps the descent readable without threading results by hand.
 *
 * Bounds: parsing fails past `maxDepth` levels of nesting (so evaluation's recursion is bounded too), and building a
 * string or list longer than `maxLength` fails, so neither a hostile expression nor a hostile state can make an
 * evaluation explode.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Environment, Problem } from "./expression/builtins.ts"
import {
  call,
  checkLength,
  contains,
  fail,
  Failure,
  method,
  newObject,
  ordered,
  setOwn,
  show,
  typeName
} from "./expression/builtins.ts"
import type { Ast, CompareOp } from "./expression/parser.ts"
import { equals, isTruthy, member } from "./plainData.ts"

export type { Environment, Problem } from "./expression/builtins.ts"
export { functionArity, maxLength, maxRange, methodArity } from "./expression/builtins.ts"
export type { Ast } from "./expression/parser.ts"
export { maxDepth, parse } from "./expression/parser.ts"

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

const evaluateAst = (ast: Ast, state: Record<string, unknown>, env: Environment): unknown => {
  const sub = (inner: Ast) => evaluateAst(inner, state, env)
  switch (ast._tag) {
    case "Literal":
      return ast.value
    case "Name": {
      if (ast.name === "$ctx") return state
      const value = member(state, ast.name)
      if (Option.isSome(value)) return value.value
      // `ctx` is the whole state too (upstream files write `ctx.get(...)`), unless state has a key `ctx`.
      if (ast.name === "ctx") return state
      return fail(`unknown name '${ast.name}' (${listNames(state)})`, ast.position)
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
    case "Dict": {
      const result = newObject()
      for (const entry of ast.entries) {
        const key = sub(entry.key)
        if (typeof key !== "string") return fail(`a dict key must be a string, got ${show(key)}`, entry.position)
        setOwn(result, key, sub(entry.value))
      }
      return result
    }
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
    case "Conditional":
      return isTruthy(sub(ast.test)) ? sub(ast.then) : sub(ast.otherwise)
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
