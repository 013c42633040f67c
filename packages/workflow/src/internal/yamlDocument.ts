/**
 * A parsed YAML file that remembers where everything is: syntax errors with line and column, the position of the
 * YAML node at a path (`["workflows", "ci", "nodes", 2, "next", 0]`, falling back to the nearest enclosing node), and
 * `${NAME:-default}` / `$env.NAME` interpolation of string values (never of keys).
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as YAML from "yaml"

/** A 1-based line and column. */
export interface Position {
  readonly line: number
  readonly column: number
}

/** A parsed document and its line counter. */
export interface Parsed {
  readonly document: YAML.Document.Parsed
  readonly lineCounter: YAML.LineCounter
}

/** A YAML syntax error. */
export interface SyntaxProblem {
  readonly description: string
  readonly position: Position | undefined
}

/** Parses YAML; merge keys (`<<:`) are allowed, as in Victor's PyYAML files. */
export const parse = (source: string): { readonly parsed: Parsed } | { readonly error: SyntaxProblem } => {
  const lineCounter = new YAML.LineCounter()
  const document = YAML.parseDocument(source, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true })
  const first = document.errors[0]
  if (first === undefined) return { parsed: { document, lineCounter } }
  const { line, col } = lineCounter.linePos(first.pos[0])
  return { error: { description: first.message.replace(/\s+/g, " ").trim(), position: { line, column: col } } }
}

const keyText = (key: unknown): string => String(YAML.isScalar(key) ? key.value : key)

/** The YAML node at a path, comparing map keys as text (so `"true"` finds an unquoted `true:` key). */
export const nodeAt = (root: unknown, path: ReadonlyArray<string | number>): YAML.Node | undefined => {
  let current: unknown = root
  for (const segment of path) {
    if (YAML.isMap(current)) {
      const pair = current.items.find((item) => keyText(item.key) === String(segment))
      if (pair === undefined) return undefined
      // A key without a value (`next:`) is located by its key.
      current = pair.value ?? pair.key
    } else if (YAML.isSeq(current) && typeof segment === "number") {
      current = current.items[segment]
    } else {
      return undefined
    }
  }
  return YAML.isNode(current) ? current : undefined
}

/** Where the node at a path starts, or the nearest enclosing node that exists. */
export const positionOf = (parsed: Parsed, path: ReadonlyArray<string | number>): Position | undefined => {
  for (let length = path.length; length >= 0; length--) {
    const node = nodeAt(parsed.document.contents, path.slice(0, length))
    if (node?.range !== undefined && node.range !== null) {
      const { line, col } = parsed.lineCounter.linePos(node.range[0])
      return { line, column: col }
    }
  }
  return undefined
}

/** The keys of a map node as text, in order. */
export const keysOf = (node: unknown): ReadonlyArray<string> =>
  YAML.isMap(node) ? node.items.map((item) => keyText(item.key)) : []

/** A reference to an environment variable that is not set and has no default. */
export interface MissingVariable {
  readonly name: string
  readonly position: Position | undefined
}

const referenceSource = "\\$\\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\\}|\\$env\\.([A-Za-z_][A-Za-z0-9_]*)"
const reference = new RegExp(referenceSource, "g")
const hasReference = new RegExp(referenceSource)
const wholeReference = /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*:-[^}]*\}|\$env\.[A-Za-z_][A-Za-z0-9_]*)$/

/**
 * Replaces `${NAME:-default}` (the default when NAME is unset or empty, as in the shell) and `$env.NAME` (NAME must
 * be set) in the string values under `root`, reading variables through Effect `Config`. A plain (unquoted) value that
 * is one whole reference is read again as a YAML scalar, so `timeout: ${T:-30}` is the number 30. `${NAME}` without a
 * default is left alone: it is most often a shell variable in a command.
 */
export const interpolateEnv = (parsed: Parsed, root: YAML.Node): Effect.Effect<void, MissingVariable> => {
  const scalars: Array<YAML.Scalar> = []
  YAML.visit(root, {
    Scalar: (key, node) => {
      if (key !== "key" && typeof node.value === "string" && hasReference.test(node.value)) scalars.push(node)
    }
  })
  return Effect.forEach(scalars, (scalar) =>
    Effect.gen(function*() {
      const text = scalar.value as string
      const parts: Array<string> = []
      let last = 0
      for (const match of text.matchAll(reference)) {
        const name = match[1] ?? match[3]!
        const value = yield* Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
        parts.push(text.slice(last, match.index))
        if (match[1] !== undefined) {
          parts.push(Option.isSome(value) && value.value !== "" ? value.value : match[2]!)
        } else if (Option.isSome(value)) {
          parts.push(value.value)
        } else {
          const { line, col } = parsed.lineCounter.linePos(scalar.range?.[0] ?? 0)
          return yield* Effect.fail<MissingVariable>({ name, position: { line, column: col } })
        }
        last = match.index + match[0].length
      }
      parts.push(text.slice(last))
      const replaced = parts.join("")
      scalar.value = scalar.type === YAML.Scalar.PLAIN && wholeReference.test(text) ? retype(replaced) : replaced
    }), { discard: true })
}

const retype = (text: string): unknown => {
  const document = YAML.parseDocument(text)
  const value: unknown = document.errors.length === 0 ? document.toJS() : text
  return typeof value === "number" || typeof value === "boolean" ? value : text
}
