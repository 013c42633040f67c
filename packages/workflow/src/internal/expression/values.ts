/**
 * Plain data as the expression language sees it: Python's names for its types, short renderings for error messages,
 * the checks functions and methods make on their arguments, what `for` and `in` go over, and which values can be set
 * items.
 */
import { equals, isPlainObject, toText } from "../plainData.ts"
import { fail } from "./failure.ts"

/** The type of a value as messages name it: `null`, `list`, `object`, `string`, `number`, `boolean`. */
export const typeName = (value: unknown): string =>
  value === null || value === undefined
    ? "null"
    : Array.isArray(value)
    ? "list"
    : isPlainObject(value)
    ? "object"
    : typeof value

/** A value for an error message: its type and a short rendering (`string "abc"`, `number 3`, `null`). */
export const show = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  const text = typeof value === "string"
    ? JSON.stringify(value.length > 60 ? value.slice(0, 60) : value)
    : toText(value)
  return `${typeName(value)} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`
}

/** A new plain object; keys are defined, never assigned, so `__proto__` is an ordinary own key. */
export const newObject = (): Record<string, unknown> => ({})

/** Defines an own key of a built object (assigning `__proto__` would set its prototype instead). */
export const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** The argument as a string, or a failure naming the function. */
export const needString = (name: string, value: unknown, position: number): string =>
  typeof value === "string" ? value : fail(`${name} needs a string, got ${show(value)}`, position)

/** The argument as a number, or a failure naming the function. */
export const needNumber = (name: string, value: unknown, position: number): number =>
  typeof value === "number" ? value : fail(`${name} needs a number, got ${show(value)}`, position)

/** The argument as a list, or a failure naming the function. */
export const needList = (name: string, value: unknown, position: number): ReadonlyArray<unknown> =>
  Array.isArray(value) ? value : fail(`${name} needs a list, got ${show(value)}`, position)

/** The argument as an integer, or a failure naming the function. */
export const needInteger = (name: string, value: unknown, position: number): number =>
  typeof value === "number" && Number.isInteger(value)
    ? value
    : fail(`${name} needs integers, got ${show(value)}`, position)

/** `<` on numbers or on strings, never mixed. */
export const ordered = (a: unknown, b: unknown): boolean =>
  (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string")

/** Fails unless the items can be sorted: numbers only or strings only. */
export const sortable = (name: string, items: ReadonlyArray<unknown>, position: number): void => {
  const first = items[0]
  for (const item of items) {
    if (!ordered(first, item)) {
      fail(`${name} needs numbers only or strings only, got ${show(first)} and ${show(item)}`, position)
    }
  }
}

/** What `for x in value` goes over, as in Python: a list's items, a string's characters, an object's keys. */
export const iterate = (value: unknown, position: number): ReadonlyArray<unknown> => {
  if (Array.isArray(value)) return value
  if (typeof value === "string") return [...value]
  if (isPlainObject(value)) return Object.keys(value)
  return fail(`cannot iterate over ${show(value)}; only over a list, a string or an object`, position)
}

/** `needle in haystack`. */
export const contains = (needle: unknown, haystack: unknown, position: number): boolean => {
  if (Array.isArray(haystack)) return haystack.some((item) => equals(item, needle))
  if (typeof haystack === "string") {
    if (typeof needle !== "string") {
      fail(`'in' on a string needs a string on the left, got ${typeName(needle)}`, position)
    }
    return haystack.includes(needle as string)
  }
  if (isPlainObject(haystack)) return typeof needle === "string" && Object.hasOwn(haystack, needle)
  return fail(`'in' needs a list, a string or an object on the right, got ${typeName(haystack)}`, position)
}

/**
 * A value's identity as a set item or a key to deduplicate by; `undefined` for lists and objects, which Python's sets
 * refuse too (they are not hashable).
 */
export const hashKey = (value: unknown): string | undefined =>
  value === null || value === undefined
    ? "null"
    : typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? `${typeof value}:${String(value)}`
    : undefined

/** The distinct items of a list, first occurrence first; the items must be strings, numbers, booleans or null. */
export const distinct = (items: ReadonlyArray<unknown>, what: string, position: number): Array<unknown> => {
  const seen = new Set<string>()
  const result: Array<unknown> = []
  for (const item of items) {
    const key = hashKey(item)
    if (key === undefined) {
      return fail(`${what} must be strings, numbers, booleans or None, got ${show(item)}`, position)
    }
    if (!seen.has(key)) {
      seen.add(key)
      result.push(item)
    }
  }
  return result
}
