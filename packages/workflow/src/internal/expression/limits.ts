/**
 * The bounds of the expression language, so that neither a hostile expression nor a hostile state can make parsing
 * or evaluation explode: how deep an expression may nest, the size of any value an evaluation builds, the length of
 * `range()`, the work its comprehensions may do, and the nesting of the data registered functions exchange.
 */
import { fail } from "./failure.ts"

/** The largest string (characters) or list (items) an evaluation may build: about 10 MB of text. */
export const maxLength = 10_000_000

/** The longest list `range()` may build. */
export const maxRange = 10_000

/**
 * The most work the comprehensions of one evaluation may do: every item they visit is a step, and inside them so is
 * every item or character of a value built or scanned, so that nested loops cannot multiply into unbounded work.
 */
export const maxSteps = 10_000_000

/** Fails when a string or list about to be built would be longer than `maxLength`. */
export const checkLength = (length: number, kind: "string" | "list", what: string, position: number): void => {
  if (length > maxLength) {
    fail(
      `${what} would build a ${kind} of ${length} ${kind === "string" ? "characters" : "items"}, ` +
        `over the limit of ${maxLength}`,
      position
    )
  }
}

/** The deepest an expression may nest (brackets, operators, calls): deeper ones fail to parse. */
export const maxDepth = 200

/**
 * The deepest a value passed to or returned by a registered function may nest: copying it recurses, and a deeper
 * value (or a cyclic one, which is refused as such) must fail rather than overflow the stack.
 */
export const maxDataDepth = 1_000
