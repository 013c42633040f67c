/**
 * The `key = expression` lines of a `transform` node. A list item may itself hold several lines (a YAML block
 * scalar); blank lines and `#` comments are ignored. An expression continues on the next lines while a bracket it
 * opened (`(`, `[`, `{`) is not closed, or when its line ends with `\`, so a dict or list literal may span lines.
 * Parsed once at load time and again (cheaply) when run.
 */
import * as Either from "effect/Either"
import * as Expression from "../Expression.ts"

/** One parsed assignment; `item` is the index of the list item that holds it, `line` its 1-based line there. */
export interface Assignment {
  readonly key: string
  readonly expression: Expression.Expression
  readonly item: number
  readonly line: number
}

/** Why a line is not an assignment; `item` is the index of the list item that holds it, `line` its 1-based line. */
export interface AssignmentProblem {
  readonly item: number
  readonly line?: number
  readonly description: string
}

/** One logical line: `text` may span several lines of the item, from line `line` (1-based) on. */
export interface Line {
  readonly item: number
  readonly line: number
  readonly text: string
  /** The brackets left open at its end (it never closed them), or "" when it is complete. */
  readonly open: string
}

const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(.*)$/s

/** Python statements: a transform holds expressions only. */
const statement = new RegExp(
  "^(?:for|if|elif|else|while|import|from|def|class|return|lambda|with|try|except|finally|raise|pass|break|continue" +
    "|del|global|nonlocal|assert|yield|async|await|print)\\b"
)

const closing: Record<string, string> = { ")": "(", "]": "[", "}": "{" }

/** The brackets still open after `text`, given those open before it; quotes are skipped, a `#` outside one ends it. */
const openBrackets = (before: string, text: string): string => {
  let open = before
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote !== undefined) {
      if (c === "\\") i++
      else if (c === quote) quote = undefined
    } else if (c === "'" || c === "\"") quote = c
    else if (c === "#") break
    else if (c === "(" || c === "[" || c === "{") open += c
    else if (c in closing && open.endsWith(closing[c]!)) open = open.slice(0, -1)
  }
  return open
}

/** Every non-blank, non-comment logical line with the index of the list item it came from. */
export const lines = (items: ReadonlyArray<string>): ReadonlyArray<Line> =>
  items.flatMap((source, item) => {
    const result: Array<Line> = []
    let current: { line: number; parts: Array<string>; open: string; continued: boolean } | undefined
    source.split("\n").forEach((raw, index) => {
      const text = raw.trim()
      if (current === undefined) {
        if (text === "" || text.startsWith("#")) return
        current = { line: index + 1, parts: [], open: "", continued: false }
      }
      const continued = text.endsWith("\\")
      current.parts.push(continued ? text.slice(0, -1).trimEnd() : text)
      current.open = openBrackets(current.open, text)
      current.continued = continued
      if (current.open === "" && !continued) {
        result.push({ item, line: current.line, text: current.parts.join("\n"), open: "" })
        current = undefined
      }
    })
    if (current !== undefined) {
      result.push({ item, line: current.line, text: current.parts.join("\n"), open: current.open })
    }
    return result
  })

const quote = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)

/** Parses the lines of a transform. */
export const parse = (items: ReadonlyArray<string>): Either.Either<ReadonlyArray<Assignment>, AssignmentProblem> => {
  const result: Array<Assignment> = []
  for (const { item, line, open, text } of lines(items)) {
    const where = `transform line ${line}`
    const first = text.split("\n")[0]!
    if (statement.test(text) && !assignment.test(text)) {
      return Either.left({
        item,
        line,
        description: `${where} ${quote(first)} is an unsupported Python statement: a transform holds ` +
          "'key = expression' lines only (use a condition node to branch, or a compute node for loops)"
      })
    }
    if (open !== "") {
      return Either.left({
        item,
        line,
        description: `${where} ${quote(first)} opens '${open[open.length - 1]}' that is never closed`
      })
    }
    const match = assignment.exec(text)
    if (match === null) {
      return Either.left({ item, line, description: `transform line ${quote(text)} is not 'key = expression'` })
    }
    const parsed = Expression.parse(match[2]!)
    if (Either.isLeft(parsed)) return Either.left({ item, line, description: `${where}: ${parsed.left.message}` })
    result.push({ key: match[1]!, expression: parsed.right, item, line })
  }
  return result.length === 0
    ? Either.left({ item: 0, description: "transform has no 'key = expression' lines" })
    : Either.right(result)
}
