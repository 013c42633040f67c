/**
 * The expression language of conditions and transforms: a small, safe evaluator over workflow state (plain data),
 * covering the subset of Python expressions workflow files use.
 *
 * Grammar, loosest binding first: `a if cond else b` (Python's conditional: only the branch chosen is evaluated),
 * `or` / `||`, `and` / `&&`, `not` / `!`, comparisons (`== != < <= > >=`, `in`, `not in`, `is`, `is not`; chains
 * like `0 < x <= 9` work as in Python), `+ -`, `* / %`, unary `-`, then names, dotted paths (`a.b.0`, `$ctx.key`;
 * `$ctx` alone is the whole state, and so is `ctx` unless state has a key `ctx`), indexing (`a["odd-key"]`, `xs[-1]`,
 * `text[0]`: an index out of range is `null`), slices (`xs[:10]`, `xs[1:]`, `text[a:b]`, `xs[::-1]`: Python's, on
 * lists and strings), numbers, strings ('..' or ".."),
 * `true false null` (also `True False None`), list literals `[1, x]`, dict literals `{"a": 1, key: x}` (keys are
 * expressions that must evaluate to strings), calls and method calls. Lists, dicts and argument lists may end with a
 * trailing comma; newlines (and a backslash ending a line) are whitespace, so a bracketed literal may span lines.
 * Tuples, set literals and `lambda` are not part of the language.
 *
 * Comprehensions, as in Python: `[e for x in xs if c]` (any number of `for` and `if` clauses, `for` targets may
 * unpack lists: `for i, item in enumerate(xs)`), `{k: v for ...}` (a dict), `{e for ...}` (a set, which is the list
 * of its distinct items in the order first seen; items must be strings, numbers, booleans or None), and a generator
 * expression as a call's only argument or in parentheses (`sum(len(d) for d in docs)`), which is a list. A `for`
 * goes over a list's items, a string's characters or an object's keys. The names a comprehension binds are its own:
 * they shadow state inside it and never reach the state.
 *
 * Calls take keyword arguments (`sorted(xs, reverse=True)`, `round(x, ndigits=2)`) where the function names them.
 *
 * Functions: `len str int float bool lower upper contains startswith endswith current_timestamp`, `merge(x...)`
 * (objects merged shallowly left to right, or lists concatenated in order; `null` skipped, objects and lists never
 * mixed), `concat(list...)` (lists, or strings, `null` skipped), `min max`
 * (of a list or of the arguments), `sum(list[, start])`, `abs`, `round(x[, ndigits])` (halves to even),
 * `sorted(list, reverse=False)`, `list(x)`, `dict(x)`, `any(list)`, `all(list)`, `range(stop)` /
 * `range(start, stop[, step])` (at most 10,000 items), `enumerate(xs, start=0)` (`[index, item]` pairs),
 * `isinstance(x, T)` with `T` one of `dict list str int float bool` or a tuple of them (a bool is an int, as in
 * Python; JSON does not keep `1.0` apart from `1`, so every number is a float), `locals()` (the state, as upstream
 * files ask `'name' in locals()`), `filter(list, field=value, ...)` (upstream's helper: the objects in the list whose
 * fields are all present and equal to the values; other items are dropped) and `deduplicate(list, by=field)` (the
 * first object for each value of the field, objects without it all kept; without `by`, the distinct items).
 * Methods: `.get(key[, default])`, `.keys() .values() .items()` on objects; `.lower() .upper() .strip()
 * .lstrip() .rstrip() .split([sep]) .startswith(s) .endswith(s) .join(list) .count(s) .replace(a, b)` on strings;
 * `.count(x)` on lists. `.get(key)` is the value of `key`, else `default` or `null`, so `ctx.get("key", {})` reads
 * state without failing on a missing key. An unknown method fails to parse, naming the known ones.
 *
 * Registered functions: a call of any other bare name (`calculate_next_maintenance(last, days=30)`) is one of a
 * function a plugin registers (`FunctionRegistry.FunctionPlugin.functions`, given to evaluation as
 * `EvaluateOptions.functions`). Validation checks the names against the registry (`functionCalls` lists them) and
 * evaluation fails on one it is not given, listing those it is. Such a function gets copies of its evaluated
 * arguments and returns plain data, which is copied in turn: a result that is not JSON data (a function, a class
 * instance, a cyclic value, `NaN`) fails the evaluation, as does a throw, naming the function. A built-in name always
 * means the built-in.
 *
 * `is` is identity as far as plain data has one: `x is None` is true iff `x` is null, `True`/`False` are identical
 * to themselves, a list or object only to itself (the same value, `x is x`), and numbers and strings are never
 * identical: compare them with `==`.
 *
 * `current_timestamp()` is the evaluation's `now` as an ISO-8601 UTC string: evaluation stays pure, and the executor
 * passes the time it read from Effect's `Clock` (so `TestClock` drives it in tests).
 *
 * Safety: there is no `eval` or `Function`; names read only own keys of plain objects and indices of arrays, so
 * `__proto__`, `constructor` and the like are just missing keys, and nothing but the listed functions and methods
 * and the registered functions the evaluation is given can be called. An expression may nest at most 200 levels
 * deep (deeper ones fail to parse; each clause of a comprehension counts as a level), an evaluation fails rather
 * than build a string or list of more than 10,000,000 characters or items, and the comprehensions of one
 * evaluation may do at most `maxSteps` steps of work in all: every item visited, plus, inside them, the size of every
 * value built or scanned, so nested loops stay bounded. An unknown top-level name is an error (a typo never silently
 * reads as null); a missing nested field is `null`. `and` / `or` return the deciding operand as in Python, and
 * truthiness is Python's.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import * as internal from "./internal/expression.ts"
import * as plainData from "./internal/plainData.ts"

/** Why an expression failed: it does not parse, or it does not evaluate against this state. */
export const ExpressionErrorReason = Schema.Literal("Syntax", "Evaluation")

/** An expression failed to parse or evaluate; the message names the expression and the position. */
export class ExpressionError extends Schema.TaggedError<ExpressionError>()("ExpressionError", {
  reason: ExpressionErrorReason,
  expression: Schema.String,
  position: Schema.optional(Schema.Number),
  description: Schema.String
}) {
  override get message(): string {
    const where = this.position === undefined ? "" : ` at position ${this.position}`
    const what = this.reason === "Syntax" ? "invalid expression" : "cannot evaluate"
    return `${what} ${JSON.stringify(this.expression)}: ${this.description}${where}`
  }
}

/** A parsed expression, ready to be evaluated any number of times. */
export interface Expression {
  readonly source: string
  /** @internal */
  readonly ast: internal.Ast
}

/** The names of the built-in functions expressions may call (plugins' registered functions add more). */
export const functionNames: ReadonlyArray<string> = Object.keys(internal.functionArity)

/**
 * A registered function, as a plugin writes it (`FunctionRegistry.FunctionPlugin.functions`): it gets copies of its
 * evaluated arguments, positional and keyword (`f(a, b, unit="days")` is `f([a, b], { unit: "days" })`), and
 * returns plain JSON data (null, booleans, finite numbers, strings, lists, plain objects; `undefined` is null). It
 * must be pure and synchronous; a throw fails the evaluation, naming the function.
 */
export type ExpressionFunction = internal.Registered

/** A function an expression calls by name: its name and the 1-based position of its first call. */
export interface FunctionCall {
  readonly name: string
  readonly position: number
}

/**
 * Every function an expression calls by name, built-in or registered, each once, in the order of their first calls:
 * what validation checks against a registry (a name not among `functionNames` must be registered).
 */
export const functionCalls = (expression: Expression): ReadonlyArray<FunctionCall> =>
  internal.functionCalls(expression.ast)

/** Whether a name is a built-in function, which no plugin can replace. */
export const isBuiltinFunction: (name: string) => boolean = internal.isBuiltin

/**
 * `registered functions: abs, all, ...; plugins add more`: the built-in functions and these registered ones, as
 * an unknown function's message lists them.
 */
export const registeredFunctionsText: (registered: Iterable<string>) => string = internal.registeredText

/** The names of the methods values may call (`obj.get(key)`, `text.split(",")`). */
export const methodNames: ReadonlyArray<string> = Object.keys(internal.methodArity)

/** The most steps of work the comprehensions of one evaluation may do (items visited, values built or scanned). */
export const maxSteps: number = internal.maxSteps

const toError = (reason: "Syntax" | "Evaluation", expression: string, problem: internal.Problem) =>
  new ExpressionError({
    reason,
    expression,
    description: problem.description,
    ...(problem.position === undefined ? {} : { position: problem.position })
  })

/** Parses an expression; errors name the expression and the 1-based position. */
export const parse = (source: string): Either.Either<Expression, ExpressionError> =>
  Either.match(internal.parse(source), {
    onLeft: (problem) => Either.left(toError("Syntax", source, problem)),
    onRight: (ast) => Either.right({ source, ast })
  })

/** What an evaluation may read besides state. */
export interface EvaluateOptions {
  /** The current time in epoch milliseconds, read by `current_timestamp()` (which fails without it). */
  readonly now?: number | undefined
  /** When the run started (epoch milliseconds): `elapsed_time()` is `now` minus this, in seconds. */
  readonly startedAt?: number | undefined
  /** The registered functions calls of names that are not built in reach (a `FunctionRegistry`'s `functions`). */
  readonly functions?: ReadonlyMap<string, ExpressionFunction> | undefined
}

/** Evaluates a parsed expression against state. */
export const evaluate = (
  expression: Expression,
  state: JsonObject,
  options: EvaluateOptions = {}
): Either.Either<unknown, ExpressionError> =>
  Either.mapLeft(
    internal.evaluate(expression.ast, state as Record<string, unknown>, options),
    (problem) => toError("Evaluation", expression.source, problem)
  )

/** Parses and evaluates in one step. */
export const evaluateString = (
  source: string,
  state: JsonObject,
  options: EvaluateOptions = {}
): Either.Either<unknown, ExpressionError> =>
  Either.flatMap(parse(source), (expression) => evaluate(expression, state, options))

/** The bare name an expression consists of (`approved`), if that is all it is. */
export const bareName = (expression: Expression): string | undefined =>
  expression.ast._tag === "Name" && expression.ast.name !== "$ctx" && expression.ast.name !== "ctx"
    ? expression.ast.name
    : undefined

/** The text a value is matched by (condition branches): strings as they are, anything else as JSON (`true`, `3`). */
export const toText: (value: unknown) => string = plainData.toText

/** Python's truthiness: `null`, `false`, `0`, `""`, `[]` and `{}` are false. */
export const isTruthy: (value: unknown) => boolean = plainData.isTruthy
