/**
 * Parsing of comprehensions (`[e for x in xs if c]`, `{k: v for ...}`, `{e for ...}`, generator arguments): the
 * clauses after the element, and the names each `for` binds. The caller has parsed the element and the opening
 * bracket, and reads the closing one.
 */
import type { Ast, Clause, Target } from "./ast.ts"
import type { Cursor } from "./cursor.ts"
import { describe } from "./cursor.ts"
import { fail } from "./failure.ts"
import { isBindable } from "./words.ts"

/**
 * The clauses after a comprehension's element: `for target in iterable`, each followed by any number of
 * `if test`, and more `for`s for nested loops. The iterable and the tests are `or`-level expressions, as in Python,
 * so an `if` after the iterable is a filter, not a conditional expression.
 */
export const comprehension = (
  cursor: Cursor,
  kind: "list" | "set" | "dict",
  element: Ast,
  value: Ast | undefined,
  position: number
): Ast => {
  const clauses: Array<Clause> = []
  while (cursor.isWord("for")) {
    const token = cursor.next()
    const target = targetList(cursor)
    if (!cursor.isWord("in")) {
      fail(`expected 'in' after 'for ...' but found ${describe(cursor.peek)}`, cursor.peek.position)
    }
    cursor.next()
    clauses.push({ _tag: "For", target, iterable: cursor.or(), position: token.position })
    while (cursor.isWord("if")) {
      cursor.next()
      clauses.push({ _tag: "If", test: cursor.or() })
    }
  }
  return { _tag: "Comprehension", kind, element, value, clauses, position }
}

/** `x`, `i, item`, `k, (a, b)`: the names a `for` binds. */
const targetList = (cursor: Cursor): Target => {
  const first = target(cursor)
  if (!cursor.isOp(",")) return first
  const items = [first]
  while (cursor.isOp(",")) {
    cursor.next()
    if (cursor.isWord("in") || cursor.isOp(")") || cursor.isOp("]")) break
    items.push(target(cursor))
  }
  return { _tag: "Tuple", items, position: first.position }
}

const target = (cursor: Cursor): Target => {
  const token = cursor.next()
  if (token.kind === "op" && (token.text === "(" || token.text === "[")) {
    return cursor.nested(token.position, () => {
      const inner = targetList(cursor)
      cursor.expect(token.text === "(" ? ")" : "]")
      return inner
    })
  }
  if (token.kind !== "name" || !isBindable(token.text) || token.text.startsWith("$")) {
    return fail(`expected a name after 'for' but found ${describe(token)}`, token.position)
  }
  return { _tag: "Name", name: token.text, position: token.position }
}
