/**
 * JSON-shaped values that flow through traces: node and tool inputs and outputs, metadata, event data.
 *
 * A trace keeps values up to {@link MAX_DEPTH} levels of nesting. A part nested deeper (a `--context` nested
 * 100,000 levels, a cyclic tool output) is replaced by the string {@link DEPTH_LIMIT}: recursive code (`JSON.stringify`
 * among it) overflows the stack some thousands of levels down, and a trace that holds such a value could be neither
 * written nor read. The redaction step in front of every sink applies the limit (see `Redaction`), and every writer
 * of JSON (`TraceJson`, the journal's lines, previews and hashes of large payloads) falls back to it for a value too
 * deep to stringify.
 */
import * as Schema from "effect/Schema"

/** A JSON object with arbitrary values (inputs, outputs, metadata). */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  identifier: "JsonObject"
})

/** A JSON object with arbitrary values. */
export type JsonObject = { readonly [key: string]: unknown }

/** The empty object, shared so that records without inputs or outputs allocate nothing. */
export const emptyObject: JsonObject = Object.freeze({})

/**
 * How many levels of nesting a traced value keeps: an object or array inside 64 others (counting the field's own
 * value, such as a node's `inputs`, as the first) is replaced by {@link DEPTH_LIMIT}.
 */
export const MAX_DEPTH = 64

/** What stands in place of a part of a value nested deeper than {@link MAX_DEPTH} levels. */
export const DEPTH_LIMIT = "[depth limit]"

const isContainer = (value: unknown): value is object =>
  typeof value === "object" && value !== null &&
  typeof (value as { readonly toJSON?: unknown }).toJSON !== "function"

// Whether a container at `depth` holds one deeper than `max`. Never recurses deeper than `max + 1` levels.
const exceeds = (value: object, depth: number, max: number): boolean => {
  if (depth > max) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (isContainer(item) && exceeds(item, depth + 1, max)) return true
    }
    return false
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue
    const child: unknown = (value as Record<string, unknown>)[key]
    if (isContainer(child) && exceeds(child, depth + 1, max)) return true
  }
  return false
}

const cut = (value: unknown, depth: number, max: number): unknown => {
  if (!isContainer(value)) return value
  if (depth > max) return DEPTH_LIMIT
  if (Array.isArray(value)) return value.map((item: unknown) => cut(item, depth + 1, max))
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) out[key] = cut((value as Record<string, unknown>)[key], depth + 1, max)
  return out
}

/**
 * The value with every object or array nested deeper than `maxDepth` levels replaced by {@link DEPTH_LIMIT}; the
 * value itself (not a copy) when nothing is that deep. Never overflows the stack, whatever the depth (or a cycle).
 */
export const bounded = <A>(value: A, maxDepth: number = MAX_DEPTH): A =>
  isContainer(value) && exceeds(value, 1, maxDepth) ? cut(value, 1, maxDepth) as A : value

/** {@link bounded} for a JSON object (inputs, outputs, metadata, data). */
export const boundedObject = (object: JsonObject, maxDepth: number = MAX_DEPTH): JsonObject =>
  bounded(object, maxDepth)

/** Whether an error is the stack overflow of a recursive walk (`JSON.stringify` of a value nested too deep). */
export const isStackOverflow = (error: unknown): boolean =>
  error instanceof RangeError && /call stack/i.test(error.message)

/**
 * `JSON.stringify(value)`, or, when the value is nested too deep for it, the JSON of {@link bounded}`(value)`. Throws
 * what `JSON.stringify` throws otherwise (a BigInt, a cycle within the limit).
 */
export const stringify = (value: unknown, indent?: number): string => {
  try {
    return JSON.stringify(value, null, indent)
  } catch (error) {
    if (!isStackOverflow(error)) throw error
    return JSON.stringify(bounded(value), null, indent)
  }
}

/** What stands in place of an object met again inside itself, by {@link fromUnknown}. */
export const CIRCULAR = "[circular]"

/**
 * Any value as a JSON value, for values that come from code rather than from JSON (an Effect span's attributes):
 * numbers that JSON cannot hold (`NaN`, `Infinity`) and BigInts as their text, a `Date` as its ISO text, an `Error`
 * as `"Name: message"`, a `Map` as an object, a `Set` or typed array as an array, an object with `toJSON` as what it
 * returns, functions and symbols as their description, `undefined` left out of objects (and `null` in arrays), an
 * object met again inside itself as {@link CIRCULAR}, and parts deeper than {@link MAX_DEPTH} as {@link DEPTH_LIMIT}.
 * Never throws.
 */
export const fromUnknown = (value: unknown): unknown => convert(value, 1, new Set())

const convert = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value
    case "number":
      return Number.isFinite(value) ? value : String(value)
    case "bigint":
      return value.toString()
    case "undefined":
      return null
    case "symbol":
      return value.toString()
    case "function":
      return `[function ${value.name || "anonymous"}]`
  }
  if (value === null) return null
  const object = value as object
  if (depth > MAX_DEPTH) return DEPTH_LIMIT
  if (ancestors.has(object)) return CIRCULAR
  try {
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString()
    if (object instanceof Error) return `${object.name}: ${object.message}`
    ancestors.add(object)
    try {
      if (Array.isArray(object)) return object.map((item) => convert(item, depth + 1, ancestors))
      if (ArrayBuffer.isView(object)) {
        return object instanceof DataView
          ? `[${object.byteLength} bytes]`
          : Array.from(object as unknown as ArrayLike<unknown>, (item) => convert(item, depth + 1, ancestors))
      }
      if (object instanceof Set) return Array.from(object, (item) => convert(item, depth + 1, ancestors))
      if (object instanceof Map) {
        const out: Record<string, unknown> = {}
        for (const [key, item] of object) {
          if (item === undefined) continue
          const name = typeof key === "string" ? key : String(convert(key, depth + 1, ancestors))
          out[name] = convert(item, depth + 1, ancestors)
        }
        return out
      }
      const toJSON = (object as { readonly toJSON?: unknown }).toJSON
      if (typeof toJSON === "function") {
        const json: unknown = toJSON.call(object)
        return json === object ? CIRCULAR : convert(json, depth, ancestors)
      }
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(object)) {
        const item = (object as Record<string, unknown>)[key]
        if (item !== undefined) out[key] = convert(item, depth + 1, ancestors)
      }
      return out
    } finally {
      ancestors.delete(object)
    }
  } catch (error) {
    // A getter or `toJSON` that throws: the value is described rather than lost.
    return `[unreadable: ${error instanceof Error ? error.message : String(error)}]`
  }
}
