/**
 * The nesting bound, checked again on the finished tree: the parser counts nesting as it recurses, but not along the
 * left-leaning chains it builds in loops (`a + a + ...`, `a.b.c`), which the evaluator would still recurse into.
 */
import type { Ast, Target } from "./ast.ts"
import { fail } from "./failure.ts"
import { maxDepth } from "./limits.ts"

/** The nesting of the finished tree, whose left-leaning chains (`a + a + ...`, `a.b.c`) the parser does not count. */
export const checkDepth = (ast: Ast, depth: number): void => {
  if (depth > maxDepth) {
    fail(`expression nests deeper than ${maxDepth} levels`, "position" in ast ? ast.position : undefined)
  }
  const d = depth + 1
  switch (ast._tag) {
    case "Literal":
    case "Name":
      return
    case "Member":
      return checkDepth(ast.object, d)
    case "Index":
      checkDepth(ast.object, d)
      return checkDepth(ast.index, d)
    case "List":
      return ast.items.forEach((item) => checkDepth(item, d))
    case "Dict":
      return ast.entries.forEach(({ key, value }) => {
        checkDepth(key, d)
        checkDepth(value, d)
      })
    case "Not":
    case "Negate":
      return checkDepth(ast.operand, d)
    case "Logical":
    case "Arithmetic":
      checkDepth(ast.left, d)
      return checkDepth(ast.right, d)
    case "Conditional":
      checkDepth(ast.test, d)
      checkDepth(ast.then, d)
      return checkDepth(ast.otherwise, d)
    case "Compare":
      checkDepth(ast.first, d)
      return ast.rest.forEach(({ operand }) => checkDepth(operand, d))
    case "Slice":
      checkDepth(ast.object, d)
      for (const part of [ast.start, ast.stop, ast.step]) if (part !== undefined) checkDepth(part, d)
      return
    case "IsInstance":
      return checkDepth(ast.value, d)
    case "Comprehension": {
      // Each clause runs inside the ones before it, and the element inside them all.
      ast.clauses.forEach((clause, i) => {
        if (clause._tag === "If") return checkDepth(clause.test, d + i)
        checkTargetDepth(clause.target, d + i)
        checkDepth(clause.iterable, d + i)
      })
      const inner = d + ast.clauses.length
      checkDepth(ast.element, inner)
      if (ast.value !== undefined) checkDepth(ast.value, inner)
      return
    }
    case "Call":
      ast.args.forEach((arg) => checkDepth(arg, d))
      return ast.keywords.forEach(({ value }) => checkDepth(value, d))
    case "Method":
      checkDepth(ast.object, d)
      return ast.args.forEach((arg) => checkDepth(arg, d))
  }
}

const checkTargetDepth = (target: Target, depth: number): void => {
  if (depth > maxDepth) fail(`expression nests deeper than ${maxDepth} levels`, target.position)
  if (target._tag === "Tuple") target.items.forEach((item) => checkTargetDepth(item, depth + 1))
}
