/**
 * A small incremental lexer of POSIX `sh` text that knows, at any point, what kind of place it stands in: a command
 * word, inside single or double quotes, inside a here-document, a comment or backticks. `ShellTemplate` feeds it the
 * text an author wrote, asks where each placeholder stands, and quotes the value for exactly that place.
 *
 * It follows quotes, backslashes, `$(...)` (nested, also inside double quotes), backticks, comments and
 * here-documents (`<<WORD`, `<<-WORD`, quoted or not). It does not understand `case ... esac` patterns inside
 * `$(...)` (their unbalanced `)`), which is documented as unsupported in the shell tool's notes.
 */

/** Where a point of shell text stands. */
export type Place =
  | { readonly _tag: "Word" }
  | { readonly _tag: "DoubleQuoted" }
  | { readonly _tag: "SingleQuoted" }
  | { readonly _tag: "Backticks" }
  | { readonly _tag: "Comment" }
  | { readonly _tag: "HereDocument"; readonly delimiter: string; readonly expands: boolean }

interface Command {
  readonly kind: "command"
  /** `true` for `$(...)`: its `)` at depth 0 closes it. */
  readonly substitution: boolean
  depth: number
  wordStart: boolean
  comment: boolean
  /** Here-documents announced on the current line; their bodies start after its newline. */
  pending: Array<HereDoc>
}
interface HereDoc {
  readonly kind: "heredoc"
  readonly delimiter: string
  readonly stripTabs: boolean
  readonly expands: boolean
  line: string
  /** Whether the current line holds text that came from a value (a line made of it may not end the document). */
  lineHasValue: boolean
}
type Frame =
  | Command
  | HereDoc
  | { readonly kind: "double" }
  | { readonly kind: "single" }
  | { readonly kind: "backticks" }

const isBlank = (c: string) => c === " " || c === "\t"
const wordBreak = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">"])

/** An incremental lexer: `advance` over the author's text, `place` to ask where the next character stands. */
export class ShellLexer {
  private readonly stack: Array<Frame> = [
    { kind: "command", substitution: false, depth: 0, wordStart: true, comment: false, pending: [] }
  ]
  /** The first problem found: a value that would end a here-document early. */
  problem: string | undefined

  private get top(): Frame {
    return this.stack[this.stack.length - 1]!
  }

  /** Where the next character would stand. */
  place(): Place {
    const frame = this.top
    switch (frame.kind) {
      case "command":
        return frame.comment ? { _tag: "Comment" } : { _tag: "Word" }
      case "double":
        return { _tag: "DoubleQuoted" }
      case "single":
        return { _tag: "SingleQuoted" }
      case "backticks":
        return { _tag: "Backticks" }
      case "heredoc":
        return { _tag: "HereDocument", delimiter: frame.delimiter, expands: frame.expands }
    }
  }

  /** Whether the lexer stands inside backticks at any depth (values cannot be quoted safely there). */
  insideBackticks(): boolean {
    return this.stack.some((frame) => frame.kind === "backticks")
  }

  /**
   * Moves past a value substituted where `place()` said: it stays one word of its command, and inside a
   * here-document its lines count, so that a value cannot write the line that ends the document.
   */
  passValue(value: string): void {
    const frame = this.top
    if (frame.kind === "command") frame.wordStart = false
    if (frame.kind !== "heredoc") return
    const lines = value.split("\n")
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) {
        this.endHereDocLine(frame, true)
        if (this.top !== frame) return
      }
      frame.line += lines[i]
      if (lines[i] !== "") frame.lineHasValue = true
    }
  }

  /** Moves past text the author wrote. */
  advance(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!
      const frame = this.top
      switch (frame.kind) {
        case "single":
          if (c === "'") this.stack.pop()
          break
        case "double":
          if (c === "\\") i++
          else if (c === "\"") this.stack.pop()
          else if (c === "$" && text[i + 1] === "(") {
            i++
            this.pushCommand(true)
          } else if (c === "`") this.stack.push({ kind: "backticks" })
          break
        case "backticks":
          if (c === "\\") i++
          else if (c === "`") this.stack.pop()
          else if (c === "'") this.stack.push({ kind: "single" })
          else if (c === "\"") this.stack.push({ kind: "double" })
          break
        case "heredoc":
          if (c === "\n") this.endHereDocLine(frame, false)
          else frame.line += c
          break
        case "command":
          i = this.command(frame, text, i)
          break
      }
    }
  }

  private pushCommand(substitution: boolean): void {
    this.stack.push({ kind: "command", substitution, depth: 0, wordStart: true, comment: false, pending: [] })
  }

  /** One character of a command; returns the index of the last character it consumed. */
  private command(frame: Command, text: string, i: number): number {
    const c = text[i]!
    if (frame.comment) {
      if (c === "\n") {
        frame.comment = false
        this.newline(frame)
      }
      return i
    }
    const wasWordStart = frame.wordStart
    frame.wordStart = wordBreak.has(c)
    switch (c) {
      case "\\":
        return i + 1
      case "'":
        this.stack.push({ kind: "single" })
        return i
      case "\"":
        this.stack.push({ kind: "double" })
        return i
      case "`":
        this.stack.push({ kind: "backticks" })
        return i
      case "#":
        if (wasWordStart) frame.comment = true
        return i
      case "$":
        if (text[i + 1] === "(") {
          this.pushCommand(true)
          return i + 1
        }
        return i
      case "(":
        frame.depth++
        return i
      case ")":
        if (frame.depth > 0) frame.depth--
        else if (frame.substitution) this.stack.pop()
        return i
      case "<":
        if (text[i + 1] === "<" && text[i + 2] !== "<") return this.hereDocOperator(frame, text, i + 2)
        return i
      case "\n":
        this.newline(frame)
        return i
      default:
        return i
    }
  }

  /** Reads `[-]WORD` after `<<`; returns the index of its last character. */
  private hereDocOperator(frame: Command, text: string, start: number): number {
    let i = start
    const stripTabs = text[i] === "-"
    if (stripTabs) i++
    while (i < text.length && isBlank(text[i]!)) i++
    let delimiter = ""
    let quoted = false
    while (i < text.length && !wordBreak.has(text[i]!)) {
      const c = text[i]!
      if (c === "'" || c === "\"") {
        quoted = true
        const close = text.indexOf(c, i + 1)
        const end = close === -1 ? text.length : close
        delimiter += text.slice(i + 1, end)
        i = end + 1
      } else if (c === "\\") {
        quoted = true
        delimiter += text[i + 1] ?? ""
        i += 2
      } else {
        delimiter += c
        i++
      }
    }
    if (delimiter !== "") {
      frame.pending.push({
        kind: "heredoc",
        delimiter,
        stripTabs,
        expands: !quoted,
        line: "",
        lineHasValue: false
      })
    }
    frame.wordStart = true
    return i - 1
  }

  /** A newline in a command: the bodies of the here-documents announced on its line begin. */
  private newline(frame: Command): void {
    frame.wordStart = true
    // Pushed in reverse, so the first announced is read first.
    for (const doc of frame.pending.reverse()) this.stack.push(doc)
    frame.pending = []
  }

  private endHereDocLine(frame: HereDoc, insideValue: boolean): void {
    const line = frame.stripTabs ? frame.line.replace(/^\t+/, "") : frame.line
    if (line === frame.delimiter) {
      if (insideValue || frame.lineHasValue) {
        this.problem ??= `a value would end the here-document '${frame.delimiter}' early`
      }
      this.stack.pop()
    }
    frame.line = ""
    frame.lineHasValue = false
  }
}
