/**
 * Parsing of calls: a built-in function's arguments (`round(x, ndigits=2)`, `sum(len(d) for d in docs)`), a method's
 * (`text.split(sep=",")`), `isinstance(x, T)`, whose types are names rather than values, and a call of any other bare
 * name, which is one of a function a registry supplies (`calculate_next_maintenance(x, unit="days")`). Calls of
 * built-ins and methods are checked here against `./signatures.ts`, so the evaluator only ever sees them with the
 * arguments they take; any other name is resolved when the workflow is validated (against its registry) and again
 * when the call runs (`./registered.ts`).
 */
import type { Ast, Keyword } from "./ast.ts"
import { comprehension } from "./comprehensions.ts"
import type { Cursor } from "./cursor.ts"
import { describe } from "./cursor.ts"
import { fail } from "./failure.ts"
import type { Keywords } from "./signatures.ts"
import { arityText, functionArity, functionKeywords, methodArity, methodKeywords, typeNames } from "./signatures.ts"
import type { Token } from "./tokenize.ts"
import { isBindable } from "./words.ts"

/** Whether a name is a built-in function, so that `name(` is its call. */
export const isFunction = (name: string): boolean => Object.hasOwn(functionArity, name)

/**
 * Whether a name that is not a built-in function may be called as one a registry supplies: a plain identifier
 * (`$ctx` and the like are state, never functions).
 */
export const isFunctionName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)

/** Whether a field name is a method, so that `value.name(` is its call. */
export const isMethod = (name: string): boolean => Object.hasOwn(methodArity, name)

/** After a built-in function's name, at its `(`: the call. */
export const functionCall = (cursor: Cursor, name: Token): Ast => {
  if (name.text === "isinstance") return isInstance(cursor, name)
  const label = `${name.text}()`
  const accepted = Object.hasOwn(functionKeywords, name.text) ? functionKeywords[name.text] : undefined
  const { args, keywords } = callArguments(cursor, label, functionArity[name.text]!, accepted, name.position)
  if (accepted === "any" && keywords.length === 0) {
    fail(`${label} needs at least one field=value criterion`, name.position)
  }
  return { _tag: "Call", name: name.text, args, keywords, position: name.position }
}

/**
 * After the name of a function that is not built in, at its `(`: a call of one a registry supplies. It takes any
 * number of positional arguments, then keyword arguments, which it gets by name.
 */
export const registeredCall = (cursor: Cursor, name: Token): Ast => {
  const { args, keywords } = callArguments(cursor, `${name.text}()`, [0, Infinity], "any", name.position)
  return { _tag: "Call", name: name.text, args, keywords, position: name.position }
}

/** `state.get("key", default)`: a method of the value on the left, as in Python, at its `(`. */
export const methodCall = (cursor: Cursor, member: Extract<Ast, { _tag: "Member" }>): Ast => {
  const { args } = callArguments(
    cursor,
    `.${member.key}()`,
    methodArity[member.key]!,
    Object.hasOwn(methodKeywords, member.key) ? methodKeywords[member.key] : undefined,
    member.position
  )
  return { _tag: "Method", object: member.object, name: member.key, args, position: member.position }
}

/** At the `(` after something that cannot be called: the failure naming what can. */
export const uncallable = (cursor: Cursor, callee: Ast): never =>
  callee._tag === "Name"
    ? fail(`'${callee.name}' cannot be called here: call a function by its bare name, as in len(x)`, callee.position)
    : callee._tag === "Member"
    ? fail(`unknown method '.${callee.key}()'; known: ${Object.keys(methodArity).join(", ")}`, callee.position)
    : fail(
      "only the built-in functions can be called, and those plugins register, each by its bare name (as in len(x))",
      cursor.peek.position
    )

/**
 * `(a, b, key=value)` of a call: positional arguments, then keyword arguments, or one generator expression
 * (`sum(len(d) for d in docs)`). A keyword naming a parameter that may also be positional fills its place, so
 * `round(x, ndigits=2)` is `round(x, 2)`; the others are read by name.
 */
const callArguments = (
  cursor: Cursor,
  label: string,
  arity: readonly [number, number],
  accepted: Keywords | undefined,
  position: number
): { readonly args: ReadonlyArray<Ast>; readonly keywords: ReadonlyArray<Keyword> } => {
  const open = cursor.expect("(")
  const args: Array<Ast> = []
  const given: Array<Keyword> = []
  cursor.nested(open.position, () => {
    while (!cursor.isOp(")")) {
      if (cursor.peek.kind === "name" && cursor.opAt(1, "=")) {
        const name = cursor.next()
        if (!isBindable(name.text)) fail(`'${name.text}' cannot name a keyword argument`, name.position)
        cursor.next()
        if (given.some((keyword) => keyword.name === name.text)) {
          fail(`${label} got keyword argument '${name.text}' twice`, name.position)
        }
        given.push({ name: name.text, value: cursor.expression(), position: name.position })
      } else {
        if (given.length > 0) fail("a positional argument cannot follow a keyword argument", cursor.peek.position)
        const start = cursor.peek.position
        const arg = cursor.expression()
        if (cursor.isWord("for")) {
          const generator = comprehension(cursor, "list", arg, undefined, start)
          if (args.length > 0 || !cursor.isOp(")")) {
            fail("a generator expression must be the only argument, or be put in parentheses", start)
          }
          args.push(generator)
          break
        }
        args.push(arg)
      }
      if (!cursor.isOp(",")) break
      cursor.next()
    }
    cursor.expect(")")
  })
  const keywords: Array<Keyword> = []
  const placed: Array<{ readonly slot: number; readonly keyword: Keyword }> = []
  for (const keyword of given) {
    const slot = accepted === "any"
      ? "keyword"
      : accepted !== undefined && Object.hasOwn(accepted, keyword.name)
      ? accepted[keyword.name]!
      : undefined
    if (slot === undefined) {
      const known = accepted === undefined || accepted === "any" ? [] : Object.keys(accepted)
      fail(
        `${label} has no keyword argument '${keyword.name}'` +
          (known.length === 0 ? " (it takes none)" : `; it takes: ${known.join(", ")}`),
        keyword.position
      )
    }
    if (slot === "keyword") keywords.push(keyword)
    else placed.push({ slot: slot!, keyword })
  }
  for (const { keyword, slot } of placed.sort((a, b) => a.slot - b.slot)) {
    if (slot < args.length) fail(`${label} got '${keyword.name}' both by position and by keyword`, keyword.position)
    if (slot > args.length) fail(`${label} needs the arguments before '${keyword.name}'`, keyword.position)
    args.push(keyword.value)
  }
  if (args.length < arity[0] || args.length > arity[1]) {
    fail(`${label} ${arityText(arity)}, got ${args.length}`, position)
  }
  return { args, keywords }
}

/** `isinstance(x, T)` or `isinstance(x, (T, U))`: the types are names known to the parser, not values. */
const isInstance = (cursor: Cursor, name: Token): Ast => {
  const open = cursor.expect("(")
  return cursor.nested(open.position, () => {
    const value = cursor.expression()
    if (!cursor.isOp(",")) fail("isinstance() takes 2 arguments: a value and a type", name.position)
    cursor.next()
    const types: Array<string> = []
    if (cursor.isOp("(")) {
      cursor.next()
      do {
        types.push(typeName(cursor))
        if (!cursor.isOp(",")) break
        cursor.next()
      } while (!cursor.isOp(")"))
      cursor.expect(")")
    } else {
      types.push(typeName(cursor))
    }
    if (cursor.isOp(",")) cursor.next()
    if (!cursor.isOp(")")) fail("isinstance() takes 2 arguments: a value and a type", name.position)
    cursor.next()
    return { _tag: "IsInstance", value, types, position: name.position }
  })
}

const typeName = (cursor: Cursor): string => {
  const token = cursor.next()
  if (token.kind === "name" && Object.hasOwn(typeNames, token.text)) return token.text
  return fail(
    `isinstance() needs a type (${Object.keys(typeNames).join(", ")}) or a tuple of them, ` +
      `but found ${describe(token)}`,
    token.position
  )
}
