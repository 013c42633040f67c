/** The tree the expression parser builds and the evaluator walks: plain, immutable data. */

/** A keyword argument (`reverse=True`) that the function reads by name. */
export interface Keyword {
  readonly name: string
  readonly value: Ast
  readonly position: number
}

/** What a comprehension's `for` binds: a name, or names unpacked from a list (`for i, item in enumerate(xs)`). */
export type Target =
  | { readonly _tag: "Name"; readonly name: string; readonly position: number }
  | { readonly _tag: "Tuple"; readonly items: ReadonlyArray<Target>; readonly position: number }

/** One `for target in iterable` or `if test` of a comprehension, in source order. */
export type Clause =
  | { readonly _tag: "For"; readonly target: Target; readonly iterable: Ast; readonly position: number }
  | { readonly _tag: "If"; readonly test: Ast }

/** A parsed expression. */
export type Ast =
  | { readonly _tag: "Literal"; readonly value: unknown }
  | { readonly _tag: "Name"; readonly name: string; readonly position: number }
  | { readonly _tag: "Member"; readonly object: Ast; readonly key: string; readonly position: number }
  | { readonly _tag: "Index"; readonly object: Ast; readonly index: Ast; readonly position: number }
  | {
    readonly _tag: "Slice"
    readonly object: Ast
    readonly start: Ast | undefined
    readonly stop: Ast | undefined
    readonly step: Ast | undefined
    readonly position: number
  }
  | {
    /** `[e for ...]` and `(e for ...)` build a list, `{e for ...}` one of distinct items, `{k: v for ...}` a dict. */
    readonly _tag: "Comprehension"
    readonly kind: "list" | "set" | "dict"
    readonly element: Ast
    /** The value of a dict comprehension, whose `element` is the key. */
    readonly value: Ast | undefined
    readonly clauses: ReadonlyArray<Clause>
    readonly position: number
  }
  | {
    readonly _tag: "IsInstance"
    readonly value: Ast
    readonly types: ReadonlyArray<string>
    readonly position: number
  }
  | { readonly _tag: "List"; readonly items: ReadonlyArray<Ast>; readonly position: number }
  | {
    readonly _tag: "Dict"
    readonly entries: ReadonlyArray<{ readonly key: Ast; readonly value: Ast; readonly position: number }>
  }
  | { readonly _tag: "Not"; readonly operand: Ast }
  | { readonly _tag: "Negate"; readonly operand: Ast; readonly position: number }
  | { readonly _tag: "Logical"; readonly op: "and" | "or"; readonly left: Ast; readonly right: Ast }
  | { readonly _tag: "Conditional"; readonly test: Ast; readonly then: Ast; readonly otherwise: Ast }
  | {
    readonly _tag: "Arithmetic"
    readonly op: "+" | "-" | "*" | "/" | "%"
    readonly left: Ast
    readonly right: Ast
    readonly position: number
  }
  | {
    readonly _tag: "Compare"
    readonly first: Ast
    readonly rest: ReadonlyArray<{ readonly op: CompareOp; readonly operand: Ast; readonly position: number }>
  }
  | {
    /** A call of a built-in function by name, or, for any other name, of a function a registry supplies. */
    readonly _tag: "Call"
    readonly name: string
    readonly args: ReadonlyArray<Ast>
    readonly keywords: ReadonlyArray<Keyword>
    readonly position: number
  }
  | {
    readonly _tag: "Method"
    readonly object: Ast
    readonly name: string
    /** Methods take keyword arguments only in place of positional ones (`.split(sep=",")`). */
    readonly args: ReadonlyArray<Ast>
    readonly position: number
  }

/** The comparison operators, each of which may chain (`0 < x <= 9`). */
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not"
