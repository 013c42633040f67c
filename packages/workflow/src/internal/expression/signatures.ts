/**
 * What expressions may call, and how: the built-in functions and methods with the number of arguments each takes,
 * the keyword arguments they accept, and the type names `isinstance()` knows. The parser checks calls of built-ins
 * against these tables, so such a call that reaches the evaluator is well-formed; a call of any other name is one of
 * a function a registry supplies (`Registered`), whose arguments are its own to check. The tables' order is the order
 * in which error messages and `Expression.functionNames` list the names.
 */
import { isPlainObject } from "../plainData.ts"

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
  elapsed_time: [0, 0],
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

/** `takes 1 argument`, `takes 1 to 2 arguments`, `takes at least 1 argument`. */
export const arityText = ([least, most]: readonly [number, number]): string =>
  least === most
    ? `takes ${least} argument${least === 1 ? "" : "s"}`
    : most === Infinity
    ? `takes at least ${least} argument${least === 1 ? "" : "s"}`
    : `takes ${least} to ${most} arguments`

/** What an evaluation may read besides state. */
export interface Environment {
  /** The current time in epoch milliseconds, for `current_timestamp()`; the executor reads it from `Clock`. */
  readonly now?: number | undefined
  /** When the run started, in epoch milliseconds, for `elapsed_time()`. */
  readonly startedAt?: number | undefined
  /** The functions a registry supplies besides the built-in ones, by name (plugins' `functions`). */
  readonly functions?: ReadonlyMap<string, Registered> | undefined
}

/**
 * A function a registry supplies (a plugin's): it gets copies of its evaluated arguments, positional and keyword, and
 * returns plain data, which is copied in turn (`./registered.ts`).
 */
export type Registered = (args: ReadonlyArray<unknown>, keywords: Readonly<Record<string, unknown>>) => unknown

/**
 * A function's implementation: its evaluated arguments, positional (keywords that fill a position already placed
 * there by the parser) and keyword-only ones by name.
 */
export type Builtin = (
  args: ReadonlyArray<unknown>,
  keywords: ReadonlyMap<string, unknown>,
  position: number,
  env: Environment
) => unknown
