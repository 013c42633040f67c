/**
 * The functions a parsed expression calls by name, for checking them against a registry before anything runs: the
 * parser accepts a call of any bare name, and what it names is only known once the registry is.
 */
import type { Ast, Clause } from "./ast.ts"

/** A function an expression calls: its name and the 1-based position of its first call. */
export interface FunctionCall {
  readonly name: string
  readonly position: number
}

/** The expressions directly inside one (a comprehension's clauses included). */
const children = (ast: Ast): ReadonlyArray<Ast> => {
  switch (ast._tag) {
    case "Literal":
    case "Name":
      return []
    case "Member":
      return [ast.object]
    case "Index":
      return [ast.object, ast.index]
    case "Slice":
      return [ast.object, ast.start, ast.stop, ast.step].filter((part): part is Ast => part !== undefined)
    case "List":
      return ast.items
    case "Dict":
      return ast.entries.flatMap(({ key, value }) => [key, value])
    case "Not":
    case "Negate":
      return [ast.operand]
    case "Logical":
    case "Arithmetic":
      return [ast.left, ast.right]
    case "Conditional":
      return [ast.test, ast.then, ast.otherwise]
    case "Compare":
      return [ast.first, ...ast.rest.map(({ operand }) => operand)]
    case "IsInstance":
      return [ast.value]
    case "Comprehension":
      return [
        ...ast.clauses.map((clause: Clause) => clause._tag === "If" ? clause.test : clause.iterable),
        ast.element,
        ...(ast.value === undefined ? [] : [ast.value])
      ]
    case "Call":
      return [...ast.args, ...ast.keywords.map(({ value }) => value)]
    case "Method":
      return [ast.object, ...ast.args]
  }
}

/** Every function the expression calls by name, built-in or not, each once, in the order of their first calls. */
export const functionCalls = (ast: Ast): ReadonlyArray<FunctionCall> => {
  const found = new Map<string, FunctionCall>()
  // A work list rather than recursion: the tree may be as deep as the parser allows.
  const pending: Array<Ast> = [ast]
  while (pending.length > 0) {
    const current = pending.pop()!
    if (current._tag === "Call") {
      const first = found.get(current.name)
      if (first === undefined || current.position < first.position) {
        found.set(current.name, { name: current.name, position: current.position })
      }
    }
    pending.push(...children(current))
  }
  return Array.from(found.values()).sort((a, b) => a.position - b.position)
}
