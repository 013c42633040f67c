/**
 * The allow-listed functions of the expression language (`len(x)`, `merge(a, b)`), by name. Every one is pure and
 * bounded: results larger than `maxLength` items or characters fail, and nothing reads anything but the plain data
 * it is given. The parser has already checked each call's name, arity and keywords against `./signatures.ts`.
 */
import { collectionFunctions } from "./collectionFunctions.ts"
import { fail } from "./failure.ts"
import { numberFunctions } from "./numberFunctions.ts"
import type { Builtin, Environment } from "./signatures.ts"
import { stringFunctions } from "./stringFunctions.ts"

const functions: Readonly<Record<string, Builtin>> = { ...collectionFunctions, ...stringFunctions, ...numberFunctions }

/** No keyword arguments. */
export const noKeywords: ReadonlyMap<string, unknown> = new Map()

/** `name(args, keywords)`; `isinstance()` and `locals()` are the evaluator's own, as they read more than values. */
export const call = (
  name: string,
  args: ReadonlyArray<unknown>,
  keywords: ReadonlyMap<string, unknown>,
  position: number,
  env: Environment
): unknown =>
  Object.hasOwn(functions, name)
    ? functions[name]!(args, keywords, position, env)
    : fail(`unknown function '${name}'`, position)
