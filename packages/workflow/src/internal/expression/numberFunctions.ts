/**
 * The built-in functions over numbers: conversions (`int`, `float`, `bool`), `min`, `max`, `sum`, `abs` and
 * Python's `round`.
 */
import { isTruthy } from "../plainData.ts"
import { fail } from "./failure.ts"
import type { Builtin } from "./signatures.ts"
import { needInteger, needList, needNumber, show, sortable } from "./values.ts"

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

/** `min` and `max` go over a list, or over the arguments themselves. */
const extreme = (name: "min" | "max"): Builtin => (args, _, position) => {
  const label = `${name}()`
  const items = args.length === 1 ? needList(label, args[0], position) : args
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

/** Python's `round()`: halves go to the even neighbour. */
const round = (value: number, digits: number): number => {
  const scale = 10 ** digits
  const scaled = value * scale
  const floor = Math.floor(scaled)
  const diff = scaled - floor
  const rounded = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1
  return digits === 0 ? rounded : rounded / scale
}

/** The number functions by name. */
export const numberFunctions: Readonly<Record<string, Builtin>> = {
  int: ([a], _, position) => toNumber("int", a, position),
  float: ([a], _, position) => toNumber("float", a, position),
  // Python's `bool` is an `int`; it is the value's truthiness.
  bool: ([a]) => isTruthy(a),
  min: extreme("min"),
  max: extreme("max"),
  sum: ([a, b], _, position) => {
    let total = b === undefined ? 0 : needNumber("sum()", b, position)
    for (const item of needList("sum()", a, position)) total += needNumber("sum()", item, position)
    return total
  },
  abs: ([a], _, position) => Math.abs(needNumber("abs()", a, position)),
  round: ([a, b], _, position) =>
    round(needNumber("round()", a, position), b === undefined ? 0 : needInteger("round()", b, position))
}
