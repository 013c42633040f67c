/**
 * The allow-listed functions (`len(x)`, `merge(a, b)`) and methods (`obj.get(k)`, `text.split(",")`) of the
 * expression language. Every one is pure and bounded: results larger than `maxLength` items or characters fail, and
 * nothing here reads anything but the plain data it is given.
 */
import * as Option from "effect/Option"
import { equals, isPlainObject, isTruthy, member, toText } from "../plainData.ts"

/** Why an expression could not be parsed or evaluated; `position` is 1-based within the source. */
export interface Problem {
  readonly description: string
  readonly position?: number
}

/** Thrown inside the expression modules only; `parse` and `evaluate` turn it into an `Either`. */
export class Failure {
  constructor(readonly problem: Problem) {}
}

export const fail = (description: string, position?: number): never => {
  throw new Failure(position === undefined ? { description } : { description, position })
}

/** The largest string (characters) or list (items) an evaluation may build: about 10 MB of text. */
export const maxLength = 10_000_000

/** The longest list `range()` may build. */
export const maxRange = 10_000

/**
 * The most work the comprehensions of one evaluation may do: every item they visit is a step, and inside them so is
 * every item or character of a value built or scanned, so that nested loops cannot multiply into unbounded work.
 */
export const maxSteps = 10_000_000

/** Fails when a string or list about to be built would be longer than `maxLength`. */
export const checkLength = (length: number, kind: "string" | "list", what: string, position: number): void => {
  if (length > maxLength) {
    fail(
      `${what} would build a ${kind} of ${length} ${kind === "string" ? "characters" : "items"}, ` +
        `over the limit of ${maxLength}`,
      position
    )
  }
}

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
export const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** The functions expressions may call and how many arguments each takes (least, most). */
export const functionArity: Readonly<Record<string, readonly [number, number]>> = {
  len: [1, 1],
  str: [1, 1],
  int: [1, 1],
  float: [1, 1],
  bool: [1, 1],
  lower: [1, 1],
  upper: [1, 1],
  contains: [2, 2],
  startswith: [2, 2],
  endswith: [2, 2],
  current_timestamp: [0, 0],
  merge: [0, Infinity],
  concat: [0, Infinity],
  min: [1, Infinity],
  max: [1, Infinity],
  sum: [1, 2],
  abs: [1, 1],
  round: [1, 2],
  sorted: [1, 1],
  list: [0, 1],
  dict: [0, 1],
  any: [1, 1],
  all: [1, 1],
  range: [1, 3],
  enumerate: [1, 2],
  isinstance: [2, 2],
  locals: [0, 0],
  filter: [1, 1],
  deduplicate: [1, 1]
}

/**
 * The keyword arguments a function or method takes: the position of a parameter that may be passed either way
 * (`round(x, ndigits=2)`), `"keyword"` for one that is keyword-only (`sorted(xs, reverse=True)`), or `"any"` for
 * free-form criteria (`filter(items, status="done")`).
 */
export type Keywords = Readonly<Record<string, number | "keyword">> | "any"

/** The keyword arguments of each function that takes any. */
export const functionKeywords: Readonly<Record<string, Keywords>> = {
  sum: { start: 1 },
  round: { ndigits: 1 },
  enumerate: { start: 1 },
  sorted: { reverse: "keyword" },
  filter: "any",
  deduplicate: { by: "keyword" }
}

/** The keyword arguments of each method that takes any: each in place of a positional one. */
export const methodKeywords: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  split: { sep: 0 }
}

/** The type names `isinstance(x, T)` knows, each the test of a plain-data value. */
export const typeNames: Readonly<Record<string, (value: unknown) => boolean>> = {
  dict: (value) => isPlainObject(value),
  list: (value) => Array.isArray(value),
  str: (value) => typeof value === "string",
  // Python's `bool` is a subclass of `int`. JSON does not keep `1.0` apart from `1`, so every number is a `float`.
  int: (value) => typeof value === "boolean" || Number.isInteger(value),
  float: (value) => typeof value === "number",
  bool: (value) => typeof value === "boolean"
}

/** What `for x in value` goes over, as in Python: a list's items, a string's characters, an object's keys. */
export const iterate = (value: unknown, position: number): ReadonlyArray<unknown> => {
  if (Array.isArray(value)) return value
  if (typeof value === "string") return [...value]
  if (isPlainObject(value)) return Object.keys(value)
  return fail(`cannot iterate over ${show(value)}; only over a list, a string or an object`, position)
}

/**
 * A value's identity as a set item or a key to deduplicate by; `undefined` for lists and objects, which Python's sets
 * refuse too (they are not hashable).
 */
const hashKey = (value: unknown): string | undefined =>
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

/** The methods values may call and how many arguments each takes (least, most). */
export const methodArity: Readonly<Record<string, readonly [number, number]>> = {
  get: [1, 2],
  keys: [0, 0],
  values: [0, 0],
  items: [0, 0],
  lower: [0, 0],
  upper: [0, 0],
  strip: [0, 1],
  lstrip: [0, 1],
  rstrip: [0, 1],
  split: [0, 1],
  startswith: [1, 1],
  endswith: [1, 1],
  join: [1, 1],
  count: [1, 1],
  replace: [2, 2]
}

/** `takes 1 argument`, `takes 1 to 2 arguments`, `takes at least 1 argument`. */
export const arityText = ([least, most]: readonly [number, number]): string =>
  least === most
    ? `takes ${least} argument${least === 1 ? "" : "s"}`
    : most === Infinity
    ? `takes at least ${least} argument${least === 1 ? "" : "s"}`
    : `takes ${least} to ${most} arguments`

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
  typeof value === "string" ? value : fail(`${name} needs a string, got ${show(value)}`, position)

const needNumber = (name: string, value: unknown, position: number): number =>
  typeof value === "number" ? value : fail(`${name} needs a number, got ${show(value)}`, position)

const needList = (name: string, value: unknown, position: number): ReadonlyArray<unknown> =>
  Array.isArray(value) ? value : fail(`${name} needs a list, got ${show(value)}`, position)

const needInteger = (name: string, value: unknown, position: number): number =>
  typeof value === "number" && Number.isInteger(value)
    ? value
    : fail(`${name} needs integers, got ${show(value)}`, position)

/** `<` on numbers or on strings, never mixed. */
export const ordered = (a: unknown, b: unknown): boolean =>
  (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string")

const sortable = (name: string, items: ReadonlyArray<unknown>, position: number): void => {
  const first = items[0]
  for (const item of items) {
    if (!ordered(first, item)) {
      fail(`${name} needs numbers only or strings only, got ${show(first)} and ${show(item)}`, position)
    }
  }
}

/** The items `min`, `max`, `sum`, `any`, `all` and `sorted` go over: a list, or the arguments themselves. */
const iterable = (name: string, args: ReadonlyArray<unknown>, position: number): ReadonlyArray<unknown> =>
  args.length === 1 ? needList(name, args[0], position) : args

/** Python's `round()`: halves go to the even neighbour. */
const round = (value: number, digits: number): number => {
  const scale = 10 ** digits
  const scaled = value * scale
  const floor = Math.floor(scaled)
  const diff = scaled - floor
  const rounded = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1
  return digits === 0 ? rounded : rounded / scale
}

/** What an evaluation may read besides state. */
export interface Environment {
  /** The current time in epoch milliseconds, for `current_timestamp()`; the executor reads it from `Clock`. */
  readonly now?: number | undefined
}

/** No keyword arguments. */
export const noKeywords: ReadonlyMap<string, unknown> = new Map()

export const call = (
  name: string,
  args: ReadonlyArray<unknown>,
  keywords: ReadonlyMap<string, unknown>,
  position: number,
  env: Environment
): unknown => {
  const a = args[0]
  const b = args[1]
  const label = `${name}()`
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
      return needString(label, a, position).toLowerCase()
    case "upper":
      return needString(label, a, position).toUpperCase()
    case "contains":
      return contains(b, a, position)
    case "startswith":
      return needString(label, a, position).startsWith(needString(label, b, position))
    case "endswith":
      return needString(label, a, position).endsWith(needString(label, b, position))
    case "merge": {
      const result = newObject()
      for (const arg of args) {
        if (arg === null || arg === undefined) continue
        if (!isPlainObject(arg)) return fail(`merge() needs objects, got ${show(arg)}`, position)
        for (const key of Object.keys(arg)) setOwn(result, key, arg[key])
      }
      return result
    }
    case "concat": {
      // Lists first: `concat()` and `concat(None)` are the empty list.
      const present = args.filter((arg) => arg !== null && arg !== undefined)
      if (present.every(Array.isArray)) {
        const total = present.reduce((n: number, arg) => n + (arg as ReadonlyArray<unknown>).length, 0)
        checkLength(total, "list", label, position)
        return ([] as Array<unknown>).concat(...(present as Array<Array<unknown>>))
      }
      if (present.every((arg) => typeof arg === "string")) {
        const total = present.reduce((n: number, arg) => n + (arg as string).length, 0)
        checkLength(total, "string", label, position)
        return present.join("")
      }
      return fail(
        `concat() needs lists only or strings only, got ${present.map(typeName).join(", ")}`,
        position
      )
    }
    case "min":
    case "max": {
      const items = iterable(label, args, position)
      if (items.length === 0) return fail(`${label} of an empty list`, position)
      sortable(label, items, position)
      let best = items[0] as number | string
      for (const item of items) {
        if (name === "min" ? (item as number | string) < best : (item as number | string) > best) {
          best = item as number | string
        }
      }
      return best
    }
    case "sum": {
      let total = b === undefined ? 0 : needNumber(label, b, position)
      for (const item of needList(label, a, position)) total += needNumber(label, item, position)
      return total
    }
    case "abs":
      return Math.abs(needNumber(label, a, position))
    case "round":
      return round(needNumber(label, a, position), b === undefined ? 0 : needInteger(label, b, position))
    case "sorted": {
      const items = [...needList(label, a, position)]
      sortable(label, items, position)
      const sign = isTruthy(keywords.get("reverse") ?? false) ? -1 : 1
      // Stable, as Python's: a reversed sort keeps equal items in their order.
      return items.sort((x, y) =>
        (x as number) < (y as number) ? -sign : (x as number) > (y as number) ? sign : 0
      )
    }
    case "enumerate": {
      const from = b === undefined ? 0 : needInteger(label, b, position)
      return iterate(a, position).map((item, i) => [from + i, item])
    }
    case "filter": {
      // Upstream's `filter(items, field=value, ...)`: the objects in the list whose fields all equal the values.
      const criteria = [...keywords]
      return needList(label, a, position).filter((item) =>
        isPlainObject(item) &&
        criteria.every(([field, expected]) => Object.hasOwn(item, field) && equals(item[field], expected))
      )
    }
    case "deduplicate": {
      const items = needList(label, a, position)
      const by = keywords.get("by")
      if (by === undefined || by === null) return distinct(items, "the items of deduplicate() without by=", position)
      const field = needString(`${label} by=`, by, position)
      // The first object for each value of the field; items without it have nothing to compare and are all kept.
      const seen = new Set<string>()
      return items.filter((item) => {
        if (!isPlainObject(item) || !Object.hasOwn(item, field)) return true
        const key = hashKey(item[field])
        if (key === undefined) {
          return fail(
            `deduplicate() by=${JSON.stringify(field)} needs strings, numbers, booleans or None, ` +
              `got ${show(item[field])}`,
            position
          )
        }
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
    }
    case "list":
      if (args.length === 0) return []
      if (Array.isArray(a)) return [...a]
      if (typeof a === "string") return [...a]
      if (isPlainObject(a)) return Object.keys(a)
      return fail(`list() needs a list, a string or an object, got ${show(a)}`, position)
    case "dict": {
      const result = newObject()
      if (args.length === 0) return result
      if (isPlainObject(a)) {
        for (const key of Object.keys(a)) setOwn(result, key, a[key])
        return result
      }
      if (Array.isArray(a)) {
        for (const pair of a) {
          if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") {
            return fail(`dict() needs [key, value] pairs with string keys, got ${show(pair)}`, position)
          }
          setOwn(result, pair[0], pair[1])
        }
        return result
      }
      return fail(`dict() needs an object or a list of [key, value] pairs, got ${show(a)}`, position)
    }
    case "any":
      return needList(label, a, position).some(isTruthy)
    case "all":
      return needList(label, a, position).every(isTruthy)
    case "range": {
      const [start, stop, step] = args.length === 1 ? [0, a, 1] : [a, b, args[2] ?? 1]
      const from = needInteger(label, start, position)
      const to = needInteger(label, stop, position)
      const by = needInteger(label, step, position)
      if (by === 0) return fail("range() step must not be zero", position)
      const length = Math.max(0, Math.ceil((to - from) / by))
      if (length > maxRange) {
        return fail(`range() would build ${length} items, over the limit of ${maxRange}`, position)
      }
      return Array.from({ length }, (_, i) => from + i * by)
    }
    default:
      return fail(`unknown function '${name}'`, position)
  }
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

const stripChars = (text: string, chars: unknown, side: "both" | "left" | "right", position: number): string => {
  if (chars === undefined || chars === null) {
    return side === "both" ? text.trim() : side === "left" ? text.trimStart() : text.trimEnd()
  }
  const set = needString(".strip()", chars, position)
  let start = 0
  let end = text.length
  if (side !== "right") while (start < end && set.includes(text[start]!)) start++
  if (side !== "left") while (end > start && set.includes(text[end - 1]!)) end--
  return text.slice(start, end)
}

const objectOf = (name: string, value: unknown, position: number): Record<string, unknown> =>
  isPlainObject(value) ? value : fail(`.${name}() needs an object on the left, got ${show(value)}`, position)

const textOf = (name: string, value: unknown, position: number): string =>
  typeof value === "string" ? value : fail(`.${name}() needs a string on the left, got ${show(value)}`, position)

/** `value.name(args)`: Python's methods of `dict`, `str` and `list` that are pure and bounded. */
export const method = (name: string, value: unknown, args: ReadonlyArray<unknown>, position: number): unknown => {
  const a = args[0]
  if (name === "get") {
    // The hot path (`state.get("key", default)`), kept free of allocations.
    const object = objectOf(name, value, position)
    if (typeof a !== "string" && typeof a !== "number") {
      return fail(`.get() needs a string or number key, got ${typeName(a)}`, position)
    }
    const found = member(object, a)
    return Option.isSome(found) ? found.value : args.length > 1 ? args[1] : null
  }
  const b = args[1]
  const label = `.${name}()`
  const needObject = () => objectOf(name, value, position)
  const text = () => textOf(name, value, position)
  switch (name) {
    case "keys":
      return Object.keys(needObject())
    case "values": {
      const object = needObject()
      return Object.keys(object).map((key) => object[key])
    }
    case "items": {
      const object = needObject()
      return Object.keys(object).map((key) => [key, object[key]])
    }
    case "lower":
      return text().toLowerCase()
    case "upper":
      return text().toUpperCase()
    case "strip":
      return stripChars(text(), a, "both", position)
    case "lstrip":
      return stripChars(text(), a, "left", position)
    case "rstrip":
      return stripChars(text(), a, "right", position)
    case "split": {
      const source = text()
      if (a === undefined || a === null) return source.split(/\s+/).filter((part) => part !== "")
      const separator = needString(label, a, position)
      if (separator === "") return fail(".split() needs a non-empty separator", position)
      return source.split(separator)
    }
    case "startswith":
      return text().startsWith(needString(label, a, position))
    case "endswith":
      return text().endsWith(needString(label, a, position))
    case "join": {
      const separator = text()
      const items = needList(label, a, position)
      let total = 0
      for (const item of items) {
        if (typeof item !== "string") return fail(`.join() needs a list of strings, got ${show(item)} in it`, position)
        total += item.length + separator.length
      }
      checkLength(total, "string", label, position)
      return items.join(separator)
    }
    case "count": {
      if (Array.isArray(value)) return value.filter((item) => equals(item, a)).length
      const source = text()
      const part = needString(label, a, position)
      return part === "" ? source.length + 1 : source.split(part).length - 1
    }
    case "replace": {
      const source = text()
      const from = needString(label, a, position)
      const to = needString(label, b, position)
      if (from === "") return fail(".replace() needs a non-empty string to replace", position)
      const occurrences = source.split(from).length - 1
      const length = source.length + occurrences * (to.length - from.length)
      checkLength(length, "string", label, position)
      return source.split(from).join(to)
    }
    default:
      return fail(`unknown method '.${name}()'; known: ${Object.keys(methodArity).join(", ")}`, position)
  }
}
