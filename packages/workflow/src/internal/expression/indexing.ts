/**
 * Python's subscripts on plain data: `x[i]` (an object's key, a list's item or a string's character, negative
 * indices counting from the end) and slices `x[start:stop:step]` of lists and strings.
 */
import * as Option from "effect/Option"
import { member } from "../plainData.ts"
import { fail } from "./failure.ts"
import { show, typeName } from "./values.ts"

/** What may go between the brackets of `x[key]`: a string or a number. */
export const indexKey = (key: unknown, position: number): string | number =>
  typeof key === "string" || typeof key === "number"
    ? key
    : fail(`an index must be a string or a number, got ${typeName(key)}`, position)

/**
 * `value[key]`: a key of an object, an item of a list or a character of a string (`text[0]`, `text[-1]`); a missing
 * key or an index out of range is `null`, as a missing field is.
 */
export const index = (value: unknown, key: string | number): unknown => {
  if (typeof value === "string" && typeof key === "number") {
    // A character is what the slice `text[i:i+1]` gives, so `len`, slices and indices count alike.
    const at = key < 0 ? value.length + key : key
    return Number.isInteger(at) && at >= 0 && at < value.length ? value[at] : null
  }
  return Option.getOrNull(member(value, key))
}

/** `value[start:stop:step]` of a list or a string: negative indices count from the end, and all are clamped. */
export const slice = (
  value: unknown,
  start: unknown,
  stop: unknown,
  step: unknown,
  position: number
): string | ReadonlyArray<unknown> => {
  if (typeof value !== "string" && !Array.isArray(value)) {
    return fail(`cannot slice ${show(value)}; only a string or a list`, position)
  }
  const integer = (part: unknown): number | undefined =>
    part === null || part === undefined
      ? undefined
      : typeof part === "number" && Number.isInteger(part)
      ? part
      : fail(`slice indices must be integers or None, got ${show(part)}`, position)
  const by = integer(step) ?? 1
  if (by === 0) return fail("slice step cannot be zero", position)
  const length = value.length
  const adjust = (at: number | undefined, fallback: number): number => {
    if (at === undefined) return fallback
    const from = at < 0 ? at + length : at
    return by > 0 ? Math.min(Math.max(from, 0), length) : Math.min(Math.max(from, -1), length - 1)
  }
  const from = adjust(integer(start), by > 0 ? 0 : length - 1)
  const to = adjust(integer(stop), by > 0 ? length : -1)
  if (by === 1) return value.slice(from, Math.max(from, to))
  const picked: Array<unknown> = []
  for (let i = from; by > 0 ? i < to : i > to; i += by) picked.push(value[i])
  return typeof value === "string" ? picked.join("") : picked
}
