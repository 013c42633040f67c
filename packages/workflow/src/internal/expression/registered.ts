/**
 * Calls of the functions a registry supplies (plugins' `functions`), which are not the language's own: the name is
 * resolved when the call runs, the function gets copies of its arguments (so it cannot change state in place) and
 * its result is copied back as plain data, refused when it is not (a function, a class instance, a cyclic value), so
 * that nothing but JSON data ever reaches state. A function that throws fails the evaluation naming it.
 */
import * as Effect from "effect/Effect"
import { isPlainObject } from "../plainData.ts"
import { fail, Failure } from "./failure.ts"
import { checkLength, maxDataDepth } from "./limits.ts"
import type { Environment, Registered } from "./signatures.ts"
import { functionArity } from "./signatures.ts"
import { newObject, setOwn } from "./values.ts"

/** Whether a name is a built-in function, which no registry can replace. */
export const isBuiltin = (name: string): boolean => Object.hasOwn(functionArity, name)

/** The functions an expression may call, built-in and registered, sorted, as messages list them. */
export const registeredNames = (registered: Iterable<string>): ReadonlyArray<string> =>
  Array.from(new Set([...Object.keys(functionArity), ...registered])).sort()

/** The hint of an unknown function: what is registered, and where more comes from. */
export const registeredText = (registered: Iterable<string>): string =>
  `registered functions: ${registeredNames(registered).join(", ")}; plugins add more`

const errorText = (error: unknown): string => {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return "an error that cannot be shown"
  }
}

/** What a value that is not plain data is, for messages: `a function`, `a Date`, `number NaN`. */
const describe = (value: unknown): string => {
  switch (typeof value) {
    case "function":
      return "a function"
    case "symbol":
      return "a symbol"
    case "bigint":
      return `a bigint (${String(value)}n)`
    case "number":
      return `number ${String(value)}, which JSON cannot hold`
  }
  if (typeof value !== "object" || value === null) return typeof value
  if (value instanceof Promise || Effect.isEffect(value)) {
    return `${value instanceof Promise ? "a Promise" : "an Effect"} (a registered function returns its value directly)`
  }
  try {
    const name: unknown = (Object.getPrototypeOf(value) as { readonly constructor?: { readonly name?: unknown } })
      .constructor?.name
    return typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object that is not a plain object"
  } catch {
    return "an object that is not a plain object"
  }
}

const plainDataOnly = "only null, booleans, numbers, strings, lists and plain objects are data"

/**
 * A copy of `value` that is plain data: finite numbers, strings, booleans, null, arrays and plain objects (own
 * enumerable string keys, defined rather than assigned, so `__proto__` stays an ordinary key). `undefined` is null, as
 * a JavaScript function returning nothing means None, and an object's `undefined` fields are left out (as JSON
 * leaves them). Fails, saying `what` held the offending part and where, for anything else.
 */
const copy = (value: unknown, what: string, label: string, position: number): unknown => {
  const ancestors = new Set<object>()
  const refuse = (problem: string, path: string): never =>
    fail(`${what} ${path === "" ? "" : `a value holding, at ${path}, `}${problem}; ${plainDataOnly}`, position)
  const walk = (item: unknown, path: string, depth: number): unknown => {
    if (item === undefined || item === null) return null
    if (typeof item === "string") {
      checkLength(item.length, "string", label, position)
      return item
    }
    if (typeof item === "boolean") return item
    if (typeof item === "number") return Number.isFinite(item) ? item : refuse(describe(item), path)
    if (typeof item !== "object") return refuse(describe(item), path)
    if (depth > maxDataDepth) return refuse(`a value nested deeper than ${maxDataDepth} levels`, path)
    if (ancestors.has(item)) {
      return fail(
        `${what} a cyclic value: at ${path} it refers back to a value that contains it; ${plainDataOnly}`,
        position
      )
    }
    const isArray = Array.isArray(item)
    if (!isArray && !isPlainObject(item)) return refuse(describe(item), path)
    ancestors.add(item)
    try {
      if (isArray) {
        checkLength(item.length, "list", label, position)
        const result: Array<unknown> = []
        for (let i = 0; i < item.length; i++) result.push(walk(item[i], `${path}[${i}]`, depth + 1))
        return result
      }
      const result = newObject()
      for (const key of Object.keys(item)) {
        const field = (item as Record<string, unknown>)[key]
        if (field === undefined) continue
        setOwn(result, key, walk(field, path === "" ? key : `${path}.${key}`, depth + 1))
      }
      return result
    } finally {
      ancestors.delete(item)
    }
  }
  try {
    return walk(value, "", 1)
  } catch (error) {
    // A getter or a proxy that throws while the value is read.
    if (error instanceof Failure) throw error
    return fail(`${what} a value that cannot be read: ${errorText(error)}`, position)
  }
}

/** `name(args, keywords)` of a registered function: not a built-in (the evaluator calls those itself). */
export const callRegistered = (
  name: string,
  args: ReadonlyArray<unknown>,
  keywords: ReadonlyArray<readonly [string, unknown]>,
  position: number,
  env: Environment
): unknown => {
  const registered: Registered | undefined = env.functions?.get(name)
  if (registered === undefined) {
    return fail(`unknown function '${name}'; ${registeredText(env.functions?.keys() ?? [])}`, position)
  }
  const label = `function '${name}'`
  const copiedArgs = args.map((arg, i) => copy(arg, `argument ${i + 1} of ${label} is`, label, position))
  const copiedKeywords = newObject()
  for (const [keyword, value] of keywords) {
    setOwn(copiedKeywords, keyword, copy(value, `keyword argument '${keyword}' of ${label} is`, label, position))
  }
  let result: unknown
  try {
    result = registered(copiedArgs, copiedKeywords)
  } catch (error) {
    return fail(`${label} failed: ${errorText(error)}`, position)
  }
  return copy(result, `${label} returned`, label, position)
}
