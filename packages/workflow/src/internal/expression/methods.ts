/**
 * The allow-listed methods of the expression language (`obj.get(k)`, `text.split(",")`): Python's methods of `dict`,
 * `str` and `list` that are pure and bounded.
 */
import * as Option from "effect/Option"
import { equals, isPlainObject, member } from "../plainData.ts"
import { fail } from "./failure.ts"
import { checkLength } from "./limits.ts"
import { methodArity } from "./signatures.ts"
import { needList, needString, show, typeName } from "./values.ts"

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
