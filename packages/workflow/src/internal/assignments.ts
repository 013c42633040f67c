/**
 * The `key = expression` lines of a `transform` node. A list item may itself hold several lines (a YAML block
 * scalar); blank lines and `#` comments are ignored. Parsed once at load time and again (cheaply) when run.
 */
import * as Either from "effect/Either"
import * as Expression from "../Expression.ts"

/** One parsed assignment. */
export interface Assignment {
  readonly key: string
  readonly expression: Expression.Expression
}

/** Why a line is not an assignment; `item` is the index of the list item that holds it. */
export interface AssignmentProblem {
  readonly item: number
  readonly description: string
}

const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(.*)$/

/** Every non-blank, non-comment line with the index of the list item it came from. */
export const lines = (items: ReadonlyArray<string>): ReadonlyArray<{ readonly item: number; readonly text: string }> =>
  items.flatMap((text, item) =>
    text.split("\n").map((line) => ({ item, text: line.trim() })).filter((line) =>
      line.text !== "" && !line.text.startsWith("#")
    )
  )

/** Parses the lines of a transform. */
export const parse = (items: ReadonlyArray<string>): Either.Either<ReadonlyArray<Assignment>, AssignmentProblem> => {
  const result: Array<Assignment> = []
  for (const { item, text } of lines(items)) {
    const match = assignment.exec(text)
    if (match === null) {
      return Either.left({ item, description: `transform line ${JSON.stringify(text)} is not 'key = expression'` })
    }
    const parsed = Expression.parse(match[2]!)
    if (Either.isLeft(parsed)) return Either.left({ item, description: parsed.left.message })
    result.push({ key: match[1]!, expression: parsed.right })
  }
  return result.length === 0
    ? Either.left({ item: 0, description: "transform has no 'key = expression' lines" })
    : Either.right(result)
}
