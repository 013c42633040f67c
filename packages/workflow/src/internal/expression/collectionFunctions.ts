/**
 * The built-in functions over lists and objects: sizes, conversions, joining (`merge`, `concat`), ordering, tests
 * over all items, `range` and `enumerate`, and upstream's `filter` and `deduplicate` helpers. Each builds a new value
 * and never changes its arguments.
 */
import { equals, isPlainObject, isTruthy } from "../plainData.ts"
import { fail } from "./failure.ts"
import { checkLength, maxRange } from "./limits.ts"
import type { Builtin } from "./signatures.ts"
import {
  distinct,
  hashKey,
  iterate,
  needInteger,
  needList,
  needString,
  newObject,
  setOwn,
  show,
  sortable,
  typeName
} from "./values.ts"

const len: Builtin = ([a], _, position) => {
  if (typeof a === "string" || Array.isArray(a)) return a.length
  if (isPlainObject(a)) return Object.keys(a).length
  return fail(`len() needs a string, a list or an object, got ${typeName(a)}`, position)
}

/**
 * Objects merged shallowly left to right (a later key wins), or lists concatenated in order (upstream passes lists of
 * evidence); `None` arguments are skipped, and with none left the result is an empty object.
 */
const merge: Builtin = (args, _, position) => {
  const objects: Array<Record<string, unknown>> = []
  const lists: Array<ReadonlyArray<unknown>> = []
  let first: { readonly kind: "object" | "list"; readonly at: number } | undefined
  for (const [i, arg] of args.entries()) {
    if (arg === null || arg === undefined) continue
    const kind = Array.isArray(arg) ? "list" : isPlainObject(arg) ? "object" : undefined
    if (kind === undefined) {
      return fail(`merge() needs objects or lists, got ${show(arg)} as argument ${i + 1}`, position)
    }
    if (first === undefined) first = { kind, at: i + 1 }
    else if (kind !== first.kind) {
      return fail(
        `merge() cannot mix objects and lists: argument ${first.at} is ${article(first.kind)}, ` +
          `argument ${i + 1} is ${article(kind)}`,
        position
      )
    }
    if (Array.isArray(arg)) lists.push(arg)
    else objects.push(arg as Record<string, unknown>)
  }
  if (first?.kind === "list") {
    checkLength(lists.reduce((n, list) => n + list.length, 0), "list", "merge()", position)
    return ([] as Array<unknown>).concat(...lists)
  }
  const result = newObject()
  for (const object of objects) {
    for (const key of Object.keys(object)) setOwn(result, key, object[key])
  }
  return result
}

const article = (kind: "object" | "list"): string => kind === "object" ? "an object" : "a list"

const concat: Builtin = (args, _, position) => {
  // Lists first: `concat()` and `concat(None)` are the empty list.
  const present = args.filter((arg) => arg !== null && arg !== undefined)
  if (present.every(Array.isArray)) {
    const total = present.reduce((n: number, arg) => n + (arg as ReadonlyArray<unknown>).length, 0)
    checkLength(total, "list", "concat()", position)
    return ([] as Array<unknown>).concat(...(present as Array<Array<unknown>>))
  }
  if (present.every((arg) => typeof arg === "string")) {
    const total = present.reduce((n: number, arg) => n + (arg as string).length, 0)
    checkLength(total, "string", "concat()", position)
    return present.join("")
  }
  return fail(`concat() needs lists only or strings only, got ${present.map(typeName).join(", ")}`, position)
}

const sorted: Builtin = ([a], keywords, position) => {
  const items = [...needList("sorted()", a, position)]
  sortable("sorted()", items, position)
  const sign = isTruthy(keywords.get("reverse") ?? false) ? -1 : 1
  // Stable, as Python's: a reversed sort keeps equal items in their order.
  return items.sort((x, y) => (x as number) < (y as number) ? -sign : (x as number) > (y as number) ? sign : 0)
}

const enumerate: Builtin = ([a, b], _, position) => {
  const from = b === undefined ? 0 : needInteger("enumerate()", b, position)
  return iterate(a, position).map((item, i) => [from + i, item])
}

/** Upstream's `filter(items, field=value, ...)`: the objects in the list whose fields all equal the values. */
const filter: Builtin = ([a], keywords, position) => {
  const criteria = [...keywords]
  return needList("filter()", a, position).filter((item) =>
    isPlainObject(item) &&
    criteria.every(([field, expected]) => Object.hasOwn(item, field) && equals(item[field], expected))
  )
}

/** Upstream's `deduplicate(items, by=field)`: the first object for each value of the field. */
const deduplicate: Builtin = ([a], keywords, position) => {
  const items = needList("deduplicate()", a, position)
  const by = keywords.get("by")
  if (by === undefined || by === null) return distinct(items, "the items of deduplicate() without by=", position)
  const field = needString("deduplicate() by=", by, position)
  // Items without the field have nothing to compare and are all kept.
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

const list: Builtin = (args, _, position) => {
  const a = args[0]
  if (args.length === 0) return []
  if (Array.isArray(a)) return [...a]
  if (typeof a === "string") return [...a]
  if (isPlainObject(a)) return Object.keys(a)
  return fail(`list() needs a list, a string or an object, got ${show(a)}`, position)
}

const dict: Builtin = (args, _, position) => {
  const a = args[0]
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

const any: Builtin = ([a], _, position) => needList("any()", a, position).some(isTruthy)

const all: Builtin = ([a], _, position) => needList("all()", a, position).every(isTruthy)

const range: Builtin = (args, _, position) => {
  const [start, stop, step] = args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1]
  const from = needInteger("range()", start, position)
  const to = needInteger("range()", stop, position)
  const by = needInteger("range()", step, position)
  if (by === 0) return fail("range() step must not be zero", position)
  const length = Math.max(0, Math.ceil((to - from) / by))
  if (length > maxRange) return fail(`range() would build ${length} items, over the limit of ${maxRange}`, position)
  return Array.from({ length }, (_, i) => from + i * by)
}

/** The collection functions by name. */
export const collectionFunctions: Readonly<Record<string, Builtin>> = {
  len,
  merge,
  concat,
  sorted,
  list,
  dict,
  any,
  all,
  range,
  enumerate,
  filter,
  deduplicate
}
