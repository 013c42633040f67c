/**
 * The built-in functions over text: `str()`, case, containment and affixes; and the clock's two: `current_timestamp()`,
 * the evaluation's time as ISO-8601 text, and `elapsed_time()`, the seconds since the run started (evaluation stays
 * pure: the executor passes the times it read from `Clock`).
 */
import { toText } from "../plainData.ts"
import { fail } from "./failure.ts"
import type { Builtin } from "./signatures.ts"
import { contains, needString } from "./values.ts"

const currentTimestamp: Builtin = (_args, _, position, env) =>
  env.now === undefined
    ? fail("current_timestamp() needs the current time, which this evaluation was not given", position)
    : new Date(env.now).toISOString()

const elapsedTime: Builtin = (_args, _, position, env) =>
  env.now === undefined || env.startedAt === undefined
    ? fail("elapsed_time() needs the run's start and the current time, which this evaluation was not given", position)
    : (env.now - env.startedAt) / 1000

/** The string functions by name. */
export const stringFunctions: Readonly<Record<string, Builtin>> = {
  current_timestamp: currentTimestamp,
  elapsed_time: elapsedTime,
  str: ([a]) => toText(a),
  lower: ([a], _, position) => needString("lower()", a, position).toLowerCase(),
  upper: ([a], _, position) => needString("upper()", a, position).toUpperCase(),
  // `contains(haystack, needle)` is `needle in haystack`, so it works on lists and objects too.
  contains: ([a, b], _, position) => contains(b, a, position),
  startswith: ([a, b], _, position) =>
    needString("startswith()", a, position).startsWith(needString("startswith()", b, position)),
  endswith: ([a, b], _, position) =>
    needString("endswith()", a, position).endsWith(needString("endswith()", b, position))
}
