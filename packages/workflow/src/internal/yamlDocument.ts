/**
 * A parsed YAML file that remembers where everything is: syntax errors with line and column, the position of the
 * value at a path (`["workflows", "ci", "nodes", 2, "next", 0]`, falling back to the nearest enclosing one), the keys
 * of a mapping as written, and `${NAME:-default}` / `$env.NAME` interpolation of string values (never of keys).
 *
 * Most files are read by `yamlReader` (plain data and the offsets of its values, fast); a file outside its subset, or
 * one with a syntax error, is composed into a `yaml` Document instead, which words the error. Both answer the same
 * questions the same way (the loader cannot tell them apart), and neither outlives the load.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as YAML from "yaml"
import * as yamlReader from "./yamlReader.ts"

type Path = ReadonlyArray<string | number>

/** A 1-based line and column. */
export interface Position {
  readonly line: number
  readonly column: number
}

/** A parsed YAML file. */
export interface Parsed {
  /** The document holds nothing (or only `null`). */
  readonly empty: boolean
  /** Whether there is a value at the path. */
  readonly has: (path: Path) => boolean
  /** Whether the value at the path is a mapping. */
  readonly isMapping: (path: Path) => boolean
  /** The keys of the mapping at the path as text, in the order written (none when it is not a mapping). */
  readonly keysAt: (path: Path) => ReadonlyArray<string>
  /** Where the value at the path starts, or the nearest enclosing value that exists. */
  readonly positionOf: (path: Path) => Position | undefined
  /**
   * Where the mapping at the path starts (`undefined` when there is none), calling `field` with each of its keys as
   * written and the line and column where its value starts: `keysAt` and `positionOf` of every key at once.
   */
  readonly mappingAt: (path: Path, field: (key: string, line: number, column: number) => void) => Position | undefined
  /** Interpolates the string values under the path (see `interpolate`), in place. */
  readonly interpolateEnv: (path: Path) => Effect.Effect<void, MissingVariable>
  /**
   * The value at the path as plain data (after interpolation); the loader may change what it gets, which never
   * moves a position.
   */
  readonly toJS: (path: Path) => unknown
  /** The values are no longer needed (only positions and keys are): they may be collected. */
  readonly release: () => void
}

/** A YAML syntax error. */
export interface SyntaxProblem {
  readonly description: string
  readonly position: Position | undefined
}

/** A reference to an environment variable that is not set and has no default. */
export interface MissingVariable {
  readonly name: string
  readonly position: Position | undefined
}

/** Parses YAML; merge keys (`<<:`) are allowed, as in Victor's PyYAML files. */
export const parse = (source: string): { readonly parsed: Parsed } | { readonly error: SyntaxProblem } => {
  const read = yamlReader.read(source)
  if (read !== undefined) return { parsed: fromRead(read, source) }
  const lineCounter = new YAML.LineCounter()
  const document = YAML.parseDocument(source, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true })
  const first = document.errors[0]
  const at = (offset: number): Position => {
    const { col, line } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  if (first !== undefined) {
    return { error: { description: first.message.replace(/\s+/g, " ").trim(), position: at(first.pos[0]) } }
  }
  // `yaml` finds a merge key that merges no mapping, and aliases past the limit, only when it builds the values:
  // build them once here, so that such a file is a syntax error with a place rather than a crash later.
  try {
    document.toJS({ maxAliasCount })
  } catch (error) {
    const description = error instanceof Error ? error.message : String(error)
    const offset = firstPlaceOf(document, description)
    return { error: { description, position: offset === undefined ? undefined : at(offset) } }
  }
  return { parsed: fromDocument(document, lineCounter) }
}

/** How many aliases a document may expand to (a "billion laughs" file stops here). */
const maxAliasCount = 1000

/** Where building the values failed: the first merge key for a merge error, the first alias otherwise. */
const firstPlaceOf = (document: YAML.Document.Parsed, description: string): number | undefined => {
  let offset: number | undefined
  const merge = /merge/i.test(description)
  YAML.visit(document, {
    Pair: (_, pair) => {
      if (merge && YAML.isScalar(pair.key) && pair.key.source === "<<" && pair.key.range) {
        offset = pair.key.range[0]
        return YAML.visit.BREAK
      }
    },
    Alias: (_, alias) => {
      if (!merge && alias.range) {
        offset = alias.range[0]
        return YAML.visit.BREAK
      }
    }
  })
  return offset
}

// ---------------------------------------------------------------------------------------------------------------
// Interpolation

const referenceSource = "\\$\\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\\}|\\$env\\.([A-Za-z_][A-Za-z0-9_]*)"
const reference = new RegExp(referenceSource, "g")
const hasReference = new RegExp(referenceSource)
const wholeReference = /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*:-[^}]*\}|\$env\.[A-Za-z_][A-Za-z0-9_]*)$/

/**
 * Replaces `${NAME:-default}` (the default when NAME is unset or empty, as in the shell) and `$env.NAME` (NAME must
 * be set) in a string value, reading variables through Effect `Config`. A plain (unquoted) value that is one whole
 * reference is read again as a YAML scalar, so `timeout: ${T:-30}` is the number 30. `${NAME}` without a default is
 * left alone: it is most often a shell variable in a command.
 */
const interpolate = (
  text: string,
  plain: boolean,
  position: () => Position
): Effect.Effect<unknown, MissingVariable> =>
  Effect.gen(function*() {
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
        return yield* Effect.fail<MissingVariable>({ name, position: position() })
      }
      last = match.index + match[0].length
    }
    parts.push(text.slice(last))
    const replaced = parts.join("")
    return plain && wholeReference.test(text) ? retype(replaced) : replaced
  })

const retype = (text: string): unknown => {
  const document = YAML.parseDocument(text)
  const value: unknown = document.errors.length === 0 ? document.toJS() : text
  return typeof value === "number" || typeof value === "boolean" ? value : text
}

// ---------------------------------------------------------------------------------------------------------------
// Read by `yamlReader`

/**
 * Lines and columns of offsets, from the offsets where lines start (found once, when first asked): `line` is the
 * 0-based line of an offset, `start` where a line starts.
 */
const lineIndex = (source: string) => {
  let starts: Array<number> | undefined
  let hint = 0
  const lines = () => {
    if (starts === undefined) {
      starts = [0]
      for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1)
    }
    return starts
  }
  const line = (offset: number): number => {
    const starts = lines()
    // Offsets are mostly asked for in file order: look near the last answer first.
    let at = hint
    if (starts[at]! <= offset && (at + 1 >= starts.length || starts[at + 1]! > offset)) {
      // the same line
    } else if (at + 1 < starts.length && starts[at + 1]! <= offset && (at + 2 >= starts.length || starts[at + 2]! > offset)) {
      at += 1
    } else {
      let low = 0
      let high = starts.length - 1
      while (low < high) {
        const mid = (low + high + 1) >> 1
        if (starts[mid]! <= offset) low = mid
        else high = mid - 1
      }
      at = low
    }
    hint = at
    return at
  }
  const start = (at: number): number => lines()[at]!
  const position = (offset: number): Position => {
    const at = line(offset)
    return { line: at + 1, column: offset - start(at) + 1 }
  }
  return { line, start, position }
}

const fromRead = (read: yamlReader.Read, source: string): Parsed => {
  const lines = lineIndex(source)
  const linePos = lines.position
  const keyAt = yamlReader.keyReader(source)
  const { data, root } = read.tape
  /** The index of the entry of `record` a path segment names, or -1. */
  const entryOf = (record: number, segment: string | number): number => {
    const kind = data[record]!
    const count = data[record + 2]!
    if (kind === yamlReader.SEQUENCE) {
      return typeof segment === "number" && segment >= 0 && segment < count ? record + 3 + 2 * segment : -1
    }
    const key = String(segment)
    for (let i = 0, at = record + 3; i < count; i++, at += 3) if (keyAt(kind, data[at]!) === key) return at + 1
    return -1
  }
  // The last walk, step by step: the next one mostly starts the same way (node after node of one sequence).
  const lastPath: Array<string | number> = []
  const lastEntries: Array<number> = []
  /** The record at the path (-1 for a scalar), where its value starts, and how much of the path was found. */
  const walk = (path: Path) => {
    let record = root
    let offset = data[root + 1]!
    let found = 0
    for (const segment of path) {
      if (record < 0) break
      let at: number
      if (found < lastPath.length && lastPath[found] === segment) {
        at = lastEntries[found]!
      } else {
        at = entryOf(record, segment)
        lastPath.length = found
        lastEntries.length = found
        if (at >= 0) {
          lastPath.push(segment)
          lastEntries.push(at)
        }
      }
      if (at < 0) break
      offset = data[at]!
      record = data[at + 1]!
      found++
    }
    return { record, offset, found }
  }
  const mappingAt = (path: Path): number => {
    const { found, record } = walk(path)
    return found === path.length && record >= 0 && data[record] !== yamlReader.SEQUENCE ? record : -1
  }
  let values: Record<string, unknown> | undefined = read.value
  let references: ReadonlyArray<yamlReader.Reference> = read.references
  const valueAt = (path: Path): unknown => {
    let value: unknown = values
    for (const segment of path) value = (value as Record<string | number, unknown> | undefined)?.[segment]
    return value
  }
  return {
    empty: false,
    has: (path) => walk(path).found === path.length,
    isMapping: (path) => mappingAt(path) >= 0,
    keysAt: (path) => {
      const record = mappingAt(path)
      if (record < 0) return []
      const keys: Array<string> = []
      const kind = data[record]!
      for (let i = 0, at = record + 3; i < data[record + 2]!; i++, at += 3) keys.push(keyAt(kind, data[at]!))
      return keys
    },
    positionOf: (path) => linePos(walk(path).offset),
    mappingAt: (path, field) => {
      const record = mappingAt(path)
      if (record < 0) return undefined
      const position = linePos(data[record + 1]!)
      const kind = data[record]!
      for (let i = 0, at = record + 3; i < data[record + 2]!; i++, at += 3) {
        const offset = data[at + 1]!
        const line = lines.line(offset)
        field(keyAt(kind, data[at]!), line + 1, offset - lines.start(line) + 1)
      }
      return position
    },
    interpolateEnv: (path) =>
      Effect.forEach(
        references.filter((ref) => path.every((segment, i) => ref.path[i] === segment)),
        (ref) =>
          Effect.map(
            interpolate(ref.container[ref.key as never] as string, ref.plain, () => linePos(ref.offset)),
            (value) => {
              ;(ref.container as Record<string | number, unknown>)[ref.key] = value
            }
          ),
        { discard: true }
      ),
    toJS: (path) => (walk(path).found === path.length ? valueAt(path) : undefined),
    release: () => {
      values = undefined
      references = []
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Composed by `yaml`

const keyText = (key: unknown): string => String(YAML.isScalar(key) ? key.value : key)

/** The YAML node at a path, comparing map keys as text (so `"true"` finds an unquoted `true:` key). */
export const nodeAt = (root: unknown, path: Path): YAML.Node | undefined => {
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

/** The keys of a map node as text, in order. */
export const keysOf = (node: unknown): ReadonlyArray<string> =>
  YAML.isMap(node) ? node.items.map((item) => keyText(item.key)) : []

const fromDocument = (document: YAML.Document.Parsed, lineCounter: YAML.LineCounter): Parsed => {
  const root = document.contents
  const at = (offset: number): Position => {
    const { col, line } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  return {
    empty: root === null,
    has: (path) => nodeAt(root, path) !== undefined,
    isMapping: (path) => YAML.isMap(nodeAt(root, path)),
    keysAt: (path) => keysOf(nodeAt(root, path)),
    positionOf: (path) => {
      for (let length = path.length; length >= 0; length--) {
        const node = nodeAt(root, path.slice(0, length))
        if (node?.range !== undefined && node.range !== null) return at(node.range[0])
      }
      return undefined
    },
    mappingAt: (path, field) => {
      const node = nodeAt(root, path)
      if (!YAML.isMap(node) || node.range === undefined || node.range === null) return undefined
      for (const pair of node.items) {
        const value = YAML.isNode(pair.value) ? pair.value : YAML.isNode(pair.key) ? pair.key : undefined
        if (value?.range !== undefined && value.range !== null) {
          const { column, line } = at(value.range[0])
          field(keyText(pair.key), line, column)
        }
      }
      return at(node.range[0])
    },
    interpolateEnv: (path) => {
      const node = nodeAt(root, path)
      const scalars: Array<YAML.Scalar> = []
      if (node !== undefined) {
        YAML.visit(node, {
          Scalar: (key, scalar) => {
            if (key !== "key" && typeof scalar.value === "string" && hasReference.test(scalar.value)) {
              scalars.push(scalar)
            }
          }
        })
      }
      return Effect.forEach(scalars, (scalar) =>
        Effect.map(
          interpolate(scalar.value as string, scalar.type === YAML.Scalar.PLAIN, () => at(scalar.range?.[0] ?? 0)),
          (value) => {
            scalar.value = value
          }
        ), { discard: true })
    },
    toJS: (path) => nodeAt(root, path)?.toJS(document, { maxAliasCount }),
    // The document is its positions too: nothing to give up.
    release: () => {}
  }
}
