/**
 * Plain-data helpers shared by the expression evaluator, templates and the executor. Workflow state is plain JSON
 * data, and reading it goes through `lookup`, which only follows own properties of plain objects and arrays, so no
 * expression or template can reach a prototype, a constructor or a function.
 */
import * as Option from "effect/Option"

/** A plain object: created by a literal, `JSON.parse`, a YAML parser or `Object.create(null)`. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** One step into plain data: an own key of a plain object, or an integer index of an array. */
export const member = (value: unknown, key: string | number): Option.Option<unknown> => {
  if (Array.isArray(value)) {
    const index = typeof key === "number" ? key : /^-?\d+$/.test(key) ? Number(key) : Number.NaN
    if (!Number.isInteger(index)) return Option.none()
    const at = index < 0 ? value.length + index : index
    return at >= 0 && at < value.length ? Option.some(value[at]) : Option.none()
  }
  if (isPlainObject(value)) {
    const name = String(key)
    return Object.hasOwn(value, name) ? Option.some(value[name]) : Option.none()
  }
  return Option.none()
}

/** Follows a dotted path (`a.b.0.c`) through plain data; `$ctx` as the first segment names the state itself. */
export const lookup = (state: unknown, path: string): Option.Option<unknown> => {
  const segments = path.split(".")
  let current: Option.Option<unknown> = Option.some(state)
  for (const [index, segment] of segments.entries()) {
    if (index === 0 && segment === "$ctx") continue
    current = Option.flatMap(current, (value) => member(value, segment))
    if (Option.isNone(current)) return current
  }
  return current
}

/** The text of a value as templates and condition branches see it: strings as they are, everything else as JSON. */
export const toText = (value: unknown): string => {
  if (typeof value === "string") return value
  if (value === undefined || value === null) return "null"
  if (isPlainObject(value) && Object.hasOwn(value, "response")) return toText(value.response)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Structural equality of plain data (`1 == 1.0`, lists and objects by content). */
export const equals = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => equals(item, b[index]))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && equals(a[key], b[key]))
  }
  return false
}

/** Python's truthiness, which workflow authors coming from Victor expect: null, false, 0, "", [] and {} are false. */
export const isTruthy = (value: unknown): boolean => {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false
  if (Array.isArray(value)) return value.length > 0
  if (isPlainObject(value)) return Object.keys(value).length > 0
  return true
}
