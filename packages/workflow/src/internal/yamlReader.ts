/**
 * A fast reader for the YAML that workflow files are made of: block mappings and sequences, flow collections,
 * plain, quoted and block scalars, comments, resolved as the `yaml` package's core schema resolves them. It builds
 * the plain data `Document.toJS()` would, and records where every value starts (what `yamlDocument.positionOf`
 * reports), an order of magnitude faster than composing a `yaml` Document and with a fraction of its memory.
 *
 * It reads nothing it is not sure of: anchors, aliases, tags, merge keys, directives, several documents, explicit
 * keys, tabs, carriage returns, duplicate keys, a syntax error, or anything else outside that subset make `read`
 * return `undefined`, and the loader parses the file with `yaml` instead (which also words the errors). So a file
 * reads the same either way; only the time differs.
 */
import {
  SPACE,
  NL,
  HASH,
  COLON,
  DASH,
  DQUOTE,
  SQUOTE,
  LBRACKET,
  RBRACKET,
  LBRACE,
  RBRACE,
  COMMA,
  PIPE,
  GT,
  BACKSLASH,
  outside,
  resolvePlain,
  referencePattern,
  escapes,
} from "./yamlScalars.ts"

/**
 * Where every collection of a document and its entries start (offsets into the source), without the values, in
 * one `Int32Array`: a record per collection, written when it closes (so its nested collections come first), of
 * `[kind, start, count]` and then its entries, `[keyStart, valueStart, record]` for a mapping (the key is read
 * again from the source when asked for) and `[valueStart, record]` for a sequence, where `record` is the nested
 * collection's record or -1 for a scalar. About 12 bytes an entry: a 50 MB file has millions of them.
 */
export interface Tape {
  readonly data: Int32Array
  /** The root mapping's record. */
  readonly root: number
}

/** Record kinds: a block mapping, a flow mapping (its keys are read by flow rules), a sequence. */
export const BLOCK_MAPPING = 0
export const FLOW_MAPPING = 1
export const SEQUENCE = 2

/** A string value that refers to environment variables (`${NAME:-default}`, `$env.NAME`), for interpolation. */
export interface Reference {
  /** The keys and indices from the document's root to the value. */
  readonly path: ReadonlyArray<string | number>
  readonly container: Record<string, unknown> | Array<unknown>
  readonly key: string | number
  /** Where the scalar starts in the source. */
  readonly offset: number
  /** A plain (unquoted) scalar, which is read again as YAML when it is one whole reference. */
  readonly plain: boolean
}

/** What `read` returns: the document as plain data, where its values start, and its references. */
export interface Read {
  readonly value: Record<string, unknown>
  readonly tape: Tape
  readonly references: ReadonlyArray<Reference>
}

/** Why reading stopped: the file is outside the subset (or not valid YAML); `yaml` reads it instead. */
class Unsupported {}
const unsupported = new Unsupported()

/** Whether the text from `from` to `to` holds no line break and no `escape` character. */
const plainBetween = (src: string, from: number, to: number, escape: number): boolean => {
  for (let i = from; i < to; i++) {
    const c = src.charCodeAt(i)
    if (c === NL || c === escape) return false
  }
  return true
}

const grow = (array: Int32Array, needed: number): Int32Array<ArrayBuffer> => {
  const grown = new Int32Array(Math.max(needed, array.length * 2))
  grown.set(array)
  return grown
}

/**
 * Reads the keys of a document `read` accepted, from where they start: a tape keeps offsets, not the text. Made once
 * per document.
 */
export const keyReader = (source: string): (kind: number, offset: number) => string => {
  const reader = new Reader(source)
  return (kind, offset) => {
    if (kind === FLOW_MAPPING) reader.flowKey(offset)
    else reader.keyAt(offset)
    return reader.keyText
  }
}

/** Reads a workflow file's YAML, or returns `undefined` when it is outside the subset (see the module header). */
export const read = (source: string): Read | undefined => {
  if (outside.test(source)) return undefined
  try {
    return new Reader(source).document()
  } catch (error) {
    if (error === unsupported) return undefined
    throw error
  }
}

class Reader {
  readonly src: string
  readonly len: number
  readonly references: Array<Reference> = []
  readonly path: Array<string | number> = []
  /** The record of the collection just read, or -1 after a scalar. */
  entry = -1
  /** The tape being written, and the entries of the collections still open (innermost last). */
  tape: Int32Array<ArrayBuffer> = new Int32Array(0)
  tapeSize = 0
  open: Int32Array<ArrayBuffer> = new Int32Array(256)
  openSize = 0

  /**
   * A sequence's items in an array of their own size: one grown by `push` keeps room for 16 items, four times what a
   * one-item list needs, and a large file has hundreds of thousands of short lists. References noted since
   * `noted` that point into the old array are moved to the new one.
   */
  exact(items: Array<unknown>, noted: number): Array<unknown> {
    const copy = items.slice()
    for (let i = noted; i < this.references.length; i++) {
      const ref = this.references[i]!
      if (ref.container === items) this.references[i] = { ...ref, container: copy }
    }
    return copy
  }

  /** Adds an entry of the innermost open collection. */
  push3(a: number, b: number, c: number): void {
    if (this.openSize + 3 > this.open.length) this.open = grow(this.open, this.openSize + 3)
    const open = this.open
    open[this.openSize++] = a
    open[this.openSize++] = b
    open[this.openSize++] = c
  }

  push2(a: number, b: number): void {
    if (this.openSize + 2 > this.open.length) this.open = grow(this.open, this.openSize + 2)
    const open = this.open
    open[this.openSize++] = a
    open[this.openSize++] = b
  }

  /** Writes the record of the collection whose entries start at `base` among the open ones; returns it. */
  close(kind: number, start: number, base: number, width: number): number {
    const length = this.openSize - base
    const needed = this.tapeSize + 3 + length
    if (needed > this.tape.length) this.tape = grow(this.tape, needed)
    const record = this.tapeSize
    const tape = this.tape
    const open = this.open
    tape[record] = kind
    tape[record + 1] = start
    tape[record + 2] = length / width
    // Records are short: a loop beats making a view to `set` from.
    for (let i = 0; i < length; i++) tape[record + 3 + i] = open[base + i]!
    this.tapeSize = needed
    this.openSize = base
    return record
  }
  /** The first character of the next line with content (after blank and comment lines), and its column. */
  next = 0
  nextIndent = -1

  constructor(source: string) {
    this.src = source
    this.len = source.length
  }

  document(): Read {
    const { len, src } = this
    // About one entry (two or three numbers) per line of a workflow file.
    this.tape = new Int32Array(Math.max(1024, len >> 4))
    // Blank and comment lines, then a `---` alone on its line may come first.
    let start = 0
    for (;;) {
      const s = this.skipSpaces(start)
      if (s >= len) this.fail()
      const c = src.charCodeAt(s)
      if (c === NL || c === HASH) {
        const end = src.indexOf("\n", s)
        if (end < 0) this.fail()
        start = end + 1
        continue
      }
      if (s === start && this.startsMarker(s, DASH)) {
        const after = this.skipSpaces(s + 3)
        if (after < len && src.charCodeAt(after) !== NL) this.fail()
        start = after + 1
      }
      break
    }
    this.peek(start)
    if (this.next >= this.len || this.nextIndent !== 0) throw unsupported
    const root: Record<string, unknown> = {}
    const record = this.mapping(0, this.next, root)
    if (this.next < this.len) throw unsupported
    return {
      value: root,
      tape: { data: this.tape.slice(0, this.tapeSize), root: record },
      references: this.references
    }
  }

  fail(): never {
    throw unsupported
  }

  skipSpaces(p: number): number {
    const { src } = this
    while (src.charCodeAt(p) === SPACE) p++
    return p
  }

  /** `---` or `...` (by `c`) at `p`, followed by white space or the end: a document marker. */
  startsMarker(p: number, c: number): boolean {
    const { src } = this
    if (src.charCodeAt(p) !== c || src.charCodeAt(p + 1) !== c || src.charCodeAt(p + 2) !== c) return false
    const after = src.charCodeAt(p + 3)
    return p + 3 >= this.len || after === SPACE || after === NL
  }

  /**
   * From the start of a line, skips blank and comment lines: sets `next` to the first character of the next line
   * with content (or the end) and `nextIndent` to its column (-1 at the end).
   */
  peek(lineStart: number): void {
    const { len, src } = this
    let p = lineStart
    while (p < len) {
      const first = this.skipSpaces(p)
      const c = src.charCodeAt(first)
      if (first >= len) break
      if (c === NL) {
        p = first + 1
        continue
      }
      if (c === HASH) {
        const end = src.indexOf("\n", first)
        if (end < 0) break
        p = end + 1
        continue
      }
      return this.found(p, first)
    }
    this.next = len
    this.nextIndent = -1
  }

  /** The next line with content starts at `lineStart`, its content at `first`. */
  found(lineStart: number, first: number): void {
    const indent = first - lineStart
    // Document markers and directives are not in the subset.
    if (indent === 0) {
      const c = this.src.charCodeAt(first)
      if (c === 37 || this.startsMarker(first, DASH) || this.startsMarker(first, 46)) this.fail()
    }
    this.next = first
    this.nextIndent = indent
  }

  /** After a value ends at `p`: only spaces and a comment may follow on its line; then finds the next content. */
  endLine(p: number): void {
    const { len, src } = this
    const q = this.skipSpaces(p)
    if (q >= len) {
      this.next = len
      this.nextIndent = -1
      return
    }
    const c = src.charCodeAt(q)
    if (c === NL) return this.peek(q + 1)
    if (c === HASH && q > p) {
      const end = src.indexOf("\n", q)
      if (end < 0) {
        this.next = len
        this.nextIndent = -1
        return
      }
      return this.peek(end + 1)
    }
    this.fail()
  }

  /** `-` followed by white space or the end: a sequence entry. */
  isEntry(p: number): boolean {
    const { src } = this
    if (src.charCodeAt(p) !== DASH) return false
    const after = src.charCodeAt(p + 1)
    return p + 1 >= this.len || after === SPACE || after === NL
  }

  /**
   * The implicit key starting at `p`, if the line holds one: sets `keyText` and returns the offset after its `:`;
   * -1 when the line is not `key: ...`.
   */
  keyText = ""
  keyAt(p: number): number {
    const { len, src } = this
    const c = src.charCodeAt(p)
    if (c === DQUOTE || c === SQUOTE) {
      const end = src.indexOf("\n", p)
      const lineEnd = end < 0 ? len : end
      const close = c === DQUOTE ? this.doubleQuoted(p, -1, lineEnd) : this.singleQuoted(p, -1, lineEnd)
      if (close < 0) return -1
      const q = this.skipSpaces(close)
      if (src.charCodeAt(q) !== COLON) return -1
      const after = src.charCodeAt(q + 1)
      if (q + 1 < len && after !== SPACE && after !== NL) return -1
      this.keyText = this.quoted
      return q + 1
    }
    if (!this.plainStart(p)) return -1
    for (let i = p + 1; i < len; i++) {
      const d = src.charCodeAt(i)
      if (d === NL) return -1
      if (d === HASH && src.charCodeAt(i - 1) === SPACE) return -1
      if (d === COLON) {
        const after = src.charCodeAt(i + 1)
        if (i + 1 >= len || after === SPACE || after === NL) {
          let end = i
          while (src.charCodeAt(end - 1) === SPACE) end--
          if (end - p > 1024) this.fail()
          const resolved = resolvePlain(src.slice(p, end))
          // A null key (`~:`) reads differently as text and as data: left to `yaml`.
          if (resolved === null) this.fail()
          this.keyText = String(resolved)
          return i + 1
        }
      }
    }
    return -1
  }

  /** Whether a plain scalar may start at `p` (the same characters in block and flow context, to be safe). */
  plainStart(p: number): boolean {
    const c = this.src.charCodeAt(p)
    switch (c) {
      case DASH:
      case 63: // ?
      case COLON: {
        const after = this.src.charCodeAt(p + 1)
        // `-x` is plain, `- x` is an entry; keep to the safe side.
        return p + 1 < this.len && after !== SPACE && after !== NL && after !== COMMA && after !== LBRACKET &&
          after !== RBRACKET && after !== LBRACE && after !== RBRACE && after !== HASH
      }
      case COMMA:
      case LBRACKET:
      case RBRACKET:
      case LBRACE:
      case RBRACE:
      case HASH:
      case 38: // &
      case 42: // *
      case 33: // !
      case PIPE:
      case GT:
      case DQUOTE:
      case SQUOTE:
      case 37: // %
      case 64: // @
      case 96: // `
      case SPACE:
      case NL:
        return false
      default:
        return p < this.len
    }
  }

  /** Records a string value that holds a reference to an environment variable. */
  note(container: Record<string, unknown> | Array<unknown>, key: string | number, value: unknown, offset: number, plain: boolean) {
    if (typeof value === "string" && value.includes("$") && referencePattern.test(value)) {
      // The path already ends with the key (or index) being read.
      this.references.push({ path: [...this.path], container, key, offset, plain })
    }
  }

  /** A block mapping at column `indent` whose first key starts at `p`; `next` is left at what follows it. */
  mapping(indent: number, p: number, target: Record<string, unknown>, firstKey = -1): number {
    const { src } = this
    const start = p
    const base = this.openSize
    // The first key may have been read already (to tell a mapping from a scalar), with `keyText` set.
    let known = firstKey
    for (;;) {
      const afterColon = known >= 0 ? known : this.keyAt(p)
      known = -1
      if (afterColon < 0) this.fail()
      const key = this.keyText
      if (key === "__proto__" || key === "<<" || Object.hasOwn(target, key)) this.fail()
      this.path.push(key)
      const v = this.skipSpaces(afterColon)
      const c = src.charCodeAt(v)
      let at: number
      let value: unknown
      let entry = -1
      if (v >= this.len || c === NL || (c === HASH && v > afterColon)) {
        // The value is on the lines below (a nested block, or a sequence at the same column), or empty.
        this.endLine(afterColon)
        if (this.next < this.len && (this.nextIndent > indent || (this.nextIndent === indent && this.isEntry(this.next)))) {
          at = this.next
          value = this.block(this.nextIndent, indent, target, key)
          entry = this.entry
        } else {
          at = v
          value = null
        }
      } else {
        at = v
        value = this.inline(v, indent, target, key)
        entry = this.entry
      }
      target[key] = value
      this.path.pop()
      this.push3(p, at, entry)
      if (this.next >= this.len || this.nextIndent < indent) return this.close(BLOCK_MAPPING, start, base, 3)
      if (this.nextIndent > indent || this.isEntry(this.next)) this.fail()
      p = this.next
    }
  }

  /** A block sequence at column `indent` whose first `-` is at `p`. */
  sequence(indent: number, p: number): Array<unknown> {
    const { src } = this
    const items: Array<unknown> = []
    const first = p
    const base = this.openSize
    const noted = this.references.length
    for (;;) {
      const index = items.length
      this.path.push(index)
      const v = this.skipSpaces(p + 1)
      const c = src.charCodeAt(v)
      let start: number
      let value: unknown
      let entry = -1
      if (v >= this.len || c === NL || c === HASH) {
        this.endLine(p + 1)
        if (this.next < this.len && this.nextIndent > indent) {
          start = this.next
          value = this.block(this.nextIndent, indent, items, index)
          entry = this.entry
        } else {
          start = v
          value = null
        }
      } else if (this.isEntry(v)) {
        this.fail()
      } else {
        start = v
        // A compact mapping (`- id: a`) continues at the column of its first key.
        const column = indent + (v - p)
        const afterKey = this.keyAt(v)
        if (afterKey >= 0) {
          const mapping: Record<string, unknown> = {}
          entry = this.mapping(column, v, mapping, afterKey)
          value = mapping
        } else {
          value = this.inline(v, indent, items, index)
          entry = this.entry
        }
      }
      items.push(value)
      this.path.pop()
      this.push2(start, entry)
      if (this.next >= this.len || this.nextIndent < indent || (this.nextIndent === indent && !this.isEntry(this.next))) {
        this.entry = this.close(SEQUENCE, first, base, 2)
        return this.exact(items, noted)
      }
      if (this.nextIndent > indent) this.fail()
      p = this.next
    }
  }

  /** A node that starts a line of its own at column `column` (`next`), below a collection at column `parent`. */
  block(
    column: number,
    parent: number,
    container: Record<string, unknown> | Array<unknown>,
    key: string | number
  ): unknown {
    const p = this.next
    if (this.isEntry(p)) return this.sequence(column, p)
    const afterKey = this.keyAt(p)
    if (afterKey >= 0) {
      const mapping: Record<string, unknown> = {}
      this.entry = this.mapping(column, p, mapping, afterKey)
      return mapping
    }
    return this.inline(p, parent, container, key)
  }

  /**
   * A value that starts at `p` on a line (after `key: `, after `- `, or alone), in a block collection at column
   * `parent`: its continuation lines must be indented further.
   */
  inline(
    p: number,
    parent: number,
    container: Record<string, unknown> | Array<unknown>,
    key: string | number
  ): unknown {
    const { src } = this
    const c = src.charCodeAt(p)
    if (c === DQUOTE || c === SQUOTE) {
      const end = c === DQUOTE ? this.doubleQuoted(p, parent, this.len) : this.singleQuoted(p, parent, this.len)
      if (end < 0) this.fail()
      const value = this.quoted
      this.note(container, key, value, p, false)
      this.endLine(end)
      this.entry = -1
      return value
    }
    if (c === LBRACKET || c === LBRACE) {
      const value = this.flow(p, parent)
      const record = this.entry
      this.endLine(this.flowEnd)
      this.entry = record
      return value
    }
    if (c === PIPE || c === GT) {
      const value = this.blockScalar(p, parent)
      this.note(container, key, value, p, false)
      this.entry = -1
      return value
    }
    if (!this.plainStart(p)) this.fail()
    const text = this.plain(p, parent)
    const value = resolvePlain(text)
    this.note(container, key, value, p, true)
    this.entry = -1
    return value
  }

  /** A plain scalar in block context, over several lines if they are indented past `parent`; sets `next`. */
  plain(p: number, parent: number): string {
    const { len, src } = this
    let text = ""
    let lineStart = p
    let first = true
    for (;;) {
      // One line of the scalar, up to a comment or the end of the line.
      let end = lineStart
      let comment = false
      for (; end < len; end++) {
        const d = src.charCodeAt(end)
        if (d === NL) break
        if (d === HASH && src.charCodeAt(end - 1) === SPACE) {
          comment = true
          break
        }
        if (d === COLON) {
          const after = src.charCodeAt(end + 1)
          if (end + 1 >= len || after === SPACE || after === NL) this.fail()
        }
      }
      let trimmed = end
      while (src.charCodeAt(trimmed - 1) === SPACE) trimmed--
      const line = src.slice(lineStart, trimmed)
      text = first ? line : text + line
      first = false
      if (comment || end >= len) return this.done(text, trimmed)
      // Continuation lines: indented past the parent, not comments; blank lines between them are line breaks.
      let q = end + 1
      let breaks = 0
      let s = q
      let d = 0
      for (;;) {
        s = this.skipSpaces(q)
        if (s >= len) return this.done(text, trimmed)
        d = src.charCodeAt(s)
        if (d !== NL) break
        breaks++
        q = s + 1
      }
      if (d === HASH) return this.done(text, trimmed)
      if (s - q <= parent) {
        // The next line with content, found on the way (as `peek` would).
        this.found(q, s)
        return text
      }
      // A line that starts with an indicator is left to `yaml`.
      if (!this.plainStart(s)) this.fail()
      text += breaks === 0 ? " " : "\n".repeat(breaks)
      lineStart = s
    }
  }

  done(text: string, end: number): string {
    this.endLine(end)
    return text
  }

  /** The text of the last quoted scalar read. */
  quoted = ""

  /**
   * A double-quoted scalar at `p` (its value in `quoted`), ending before `limit`; returns the offset after its
   * closing quote, or -1 without one. Continuation lines must be indented past `parent` (-1: no line breaks).
   */
  doubleQuoted(p: number, parent: number, limit: number): number {
    const { src } = this
    let i = p + 1
    // The common case: no escape, no line break.
    const close = src.indexOf("\"", i)
    if (close < 0 || close >= limit) return -1
    if (plainBetween(src, i, close, BACKSLASH)) {
      this.quoted = src.slice(i, close)
      return close + 1
    }
    let out = ""
    let run = i
    for (; i < limit; i++) {
      const c = src.charCodeAt(i)
      if (c === DQUOTE) {
        this.quoted = out + src.slice(run, i)
        return i + 1
      }
      if (c === BACKSLASH) {
        out += src.slice(run, i)
        const e = src[i + 1]
        if (e === undefined) return -1
        if (e === "\n") {
          // An escaped line break: the break and the next line's indentation vanish.
          if (parent < 0) return -1
          i = this.continuation(i + 2, parent, limit) - 1
          run = i + 1
          continue
        }
        const simple = escapes[e]
        if (simple !== undefined) {
          out += simple
          i += 1
        } else {
          const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0
          const hex = src.slice(i + 2, i + 2 + width)
          if (width === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) this.fail()
          const code = parseInt(hex, 16)
          if (code > 0x10ffff) this.fail()
          out += String.fromCodePoint(code)
          i += 1 + width
        }
        run = i + 1
        continue
      }
      if (c === NL) {
        if (parent < 0) return -1
        out += this.lineBreak(run, i, parent, limit)
        run = this.resume
        i = run - 1
      }
    }
    return -1
  }

  /** A single-quoted scalar at `p`, like `doubleQuoted` (`''` is a quote). */
  singleQuoted(p: number, parent: number, limit: number): number {
    const { src } = this
    let i = p + 1
    const close = src.indexOf("'", i)
    if (close < 0 || close >= limit) return -1
    if (src.charCodeAt(close + 1) !== SQUOTE && plainBetween(src, i, close, NL)) {
      this.quoted = src.slice(i, close)
      return close + 1
    }
    let out = ""
    let run = i
    for (; i < limit; i++) {
      const c = src.charCodeAt(i)
      if (c === SQUOTE) {
        if (src.charCodeAt(i + 1) === SQUOTE) {
          out += src.slice(run, i + 1)
          i++
          run = i + 1
          continue
        }
        this.quoted = out + src.slice(run, i)
        return i + 1
      }
      if (c === NL) {
        if (parent < 0) return -1
        out += this.lineBreak(run, i, parent, limit)
        run = this.resume
        i = run - 1
      }
    }
    return -1
  }

  folded = ""
  /** Where a quoted scalar's content resumes after `lineBreak`. */
  resume = 0

  /**
   * The text of a quoted scalar from `run` up to its line break at `nl`, trailing spaces dropped, and the break as
   * it folds; `resume` is where the content goes on.
   */
  lineBreak(run: number, nl: number, parent: number, limit: number): string {
    const { src } = this
    let trimmed = nl
    while (trimmed > run && src.charCodeAt(trimmed - 1) === SPACE) trimmed--
    const text = src.slice(run, trimmed)
    this.resume = this.fold(nl, parent, limit)
    return text + this.folded
  }

  /**
   * Folds the line break at `nl` inside a quoted scalar: one break is a space, each further (blank) line a line
   * break; the next line's indentation is dropped. Returns where its content resumes.
   */
  fold(nl: number, parent: number, limit: number): number {
    const { src } = this
    let breaks = 0
    let i = nl
    for (;;) {
      const s = this.skipSpaces(i + 1)
      if (s >= limit) this.fail()
      if (src.charCodeAt(s) === NL) {
        breaks++
        i = s
        continue
      }
      // Content must be indented past the collection (document markers, too, end nothing here).
      if (s - (i + 1) <= parent) this.fail()
      this.folded = breaks === 0 ? " " : "\n".repeat(breaks)
      return s
    }
  }

  /** After an escaped line break: skips the next line's indentation (blank lines still count as breaks). */
  continuation(p: number, parent: number, limit: number): number {
    const { src } = this
    const s = this.skipSpaces(p)
    if (s >= limit) this.fail()
    if (src.charCodeAt(s) === NL) this.fail()
    if (s - p <= parent) this.fail()
    return s
  }

  /** Where the last flow collection read ends (after its closing bracket). */
  flowEnd = 0

  /** A flow collection at `p`, inside a block collection at column `parent`. */
  flow(p: number, parent: number): unknown {
    const { src } = this
    const open = src.charCodeAt(p)
    const base = this.openSize
    let i = this.flowSpace(p + 1, parent)
    if (open === LBRACKET) {
      const items: Array<unknown> = []
      const noted = this.references.length
      if (src.charCodeAt(i) === RBRACKET) {
        this.flowEnd = i + 1
        this.entry = this.close(SEQUENCE, p, base, 2)
        return items
      }
      for (;;) {
        const index = items.length
        this.path.push(index)
        items.push(this.flowNode(i, parent, items, index))
        this.path.pop()
        this.push2(i, this.entry)
        i = this.nextFlowEntry(this.flowEnd, parent, RBRACKET)
        if (i < 0) break
      }
      this.entry = this.close(SEQUENCE, p, base, 2)
      return this.exact(items, noted)
    }
    const mapping: Record<string, unknown> = {}
    if (src.charCodeAt(i) === RBRACE) {
      this.flowEnd = i + 1
      this.entry = this.close(FLOW_MAPPING, p, base, 3)
      return mapping
    }
    for (;;) {
      // A key, then `:`; entries without a value (`{ a, b }`) are left to `yaml`.
      const afterKey = this.flowKey(i)
      const key = this.keyText
      if (key === "__proto__" || key === "<<" || Object.hasOwn(mapping, key)) this.fail()
      const v = this.flowSpace(afterKey + 1, parent)
      const d = src.charCodeAt(v)
      if (d === COMMA || d === RBRACE) this.fail()
      this.path.push(key)
      mapping[key] = this.flowNode(v, parent, mapping, key)
      this.path.pop()
      this.push3(i, v, this.entry)
      i = this.nextFlowEntry(this.flowEnd, parent, RBRACE)
      if (i < 0) break
    }
    this.entry = this.close(FLOW_MAPPING, p, base, 3)
    return mapping
  }

  /**
   * After an entry of a flow collection, at `p`: where the next entry starts, or -1 when `close` (its closing
   * bracket, a trailing comma allowed before it) ends the collection, with `flowEnd` after the bracket.
   */
  nextFlowEntry(p: number, parent: number, close: number): number {
    let i = this.flowSpace(p, parent)
    const c = this.src.charCodeAt(i)
    if (c === COMMA) {
      i = this.flowSpace(i + 1, parent)
      if (this.src.charCodeAt(i) !== close) return i
    } else if (c !== close) this.fail()
    this.flowEnd = i + 1
    return -1
  }

  /** The key of a flow mapping's entry at `i`: sets `keyText`, returns the offset of its `:`. */
  flowKey(i: number): number {
    const { src } = this
    const c = src.charCodeAt(i)
    if (c === DQUOTE || c === SQUOTE) {
      const lineEnd = src.indexOf("\n", i)
      const close = c === DQUOTE
        ? this.doubleQuoted(i, -1, lineEnd < 0 ? this.len : lineEnd)
        : this.singleQuoted(i, -1, lineEnd < 0 ? this.len : lineEnd)
      if (close < 0) this.fail()
      const afterKey = this.skipSpaces(close)
      if (src.charCodeAt(afterKey) !== COLON) this.fail()
      this.keyText = this.quoted
      return afterKey
    }
    if (!this.plainStart(i)) this.fail()
    let j = i
    for (;;) {
      const d = src.charCodeAt(j)
      if (j >= this.len || d === NL || d === COMMA || d === LBRACKET || d === RBRACKET || d === LBRACE ||
        d === RBRACE || (d === HASH && src.charCodeAt(j - 1) === SPACE)) this.fail()
      if (d === COLON) {
        const after = src.charCodeAt(j + 1)
        if (after === SPACE || after === NL) break
        if (after === COMMA || after === LBRACKET || after === RBRACKET || after === LBRACE || after === RBRACE) {
          this.fail()
        }
      }
      j++
    }
    let end = j
    while (src.charCodeAt(end - 1) === SPACE) end--
    const resolved = resolvePlain(src.slice(i, end))
    if (resolved === null) this.fail()
    this.keyText = String(resolved)
    return j
  }

  /** A value inside a flow collection at `p`; sets `flowEnd` after it. */
  flowNode(
    p: number,
    parent: number,
    container: Record<string, unknown> | Array<unknown>,
    key: string | number
  ): unknown {
    const { src } = this
    const c = src.charCodeAt(p)
    if (c === LBRACKET || c === LBRACE) return this.flow(p, parent)
    this.entry = -1
    if (c === DQUOTE || c === SQUOTE) {
      const end = c === DQUOTE ? this.doubleQuoted(p, parent, this.len) : this.singleQuoted(p, parent, this.len)
      if (end < 0) this.fail()
      this.flowEnd = end
      const value = this.quoted
      this.note(container, key, value, p, false)
      return value
    }
    if (!this.plainStart(p)) this.fail()
    let j = p
    for (; j < this.len; j++) {
      const d = src.charCodeAt(j)
      if (d === NL || d === COMMA || d === LBRACKET || d === RBRACKET || d === LBRACE || d === RBRACE) break
      if (d === HASH && src.charCodeAt(j - 1) === SPACE) break
      if (d === COLON) {
        const after = src.charCodeAt(j + 1)
        if (j + 1 >= this.len || after === SPACE || after === NL || after === COMMA || after === LBRACKET ||
          after === RBRACKET || after === LBRACE || after === RBRACE) break
      }
    }
    let end = j
    while (src.charCodeAt(end - 1) === SPACE) end--
    // A plain scalar that goes on over a line break is left to `yaml`.
    if (src.charCodeAt(j) === NL || (src.charCodeAt(j) === HASH)) {
      const after = this.flowSpace(j, parent)
      const d = src.charCodeAt(after)
      if (d !== COMMA && d !== RBRACKET && d !== RBRACE) this.fail()
    }
    this.flowEnd = end
    const value = resolvePlain(src.slice(p, end))
    this.note(container, key, value, p, true)
    return value
  }

  /**
   * Skips white space, line breaks and comments inside a flow collection; lines must be indented past the block
   * collection at column `parent`.
   */
  flowSpace(p: number, parent: number): number {
    const { len, src } = this
    let i = p
    for (;;) {
      if (i >= len) this.fail()
      const c = src.charCodeAt(i)
      if (c === SPACE) {
        i++
        continue
      }
      if (c === HASH) {
        const before = src.charCodeAt(i - 1)
        if (before !== SPACE && before !== NL) this.fail()
        const end = src.indexOf("\n", i)
        if (end < 0) this.fail()
        i = end
        continue
      }
      if (c === NL) {
        const s = this.skipSpaces(i + 1)
        if (s >= len) this.fail()
        const d = src.charCodeAt(s)
        if (d !== NL && d !== HASH && s - (i + 1) <= parent) this.fail()
        i = s
        continue
      }
      return i
    }
  }

  /** A literal (`|`) or folded (`>`) block scalar whose header is at `p`, below a collection at column `parent`. */
  blockScalar(p: number, parent: number): string {
    const { len, src } = this
    const folded = src.charCodeAt(p) === GT
    let chomp = ""
    let i = p + 1
    const c = src.charCodeAt(i)
    if (c === DASH || c === 43) {
      chomp = c === DASH ? "-" : "+"
      i++
    }
    // An explicit indentation indicator, or anything else on the header line but a comment, is left to `yaml`.
    const h = src.charCodeAt(i)
    if (i < len && h !== SPACE && h !== NL) this.fail()
    const s = this.skipSpaces(i)
    let lineStart: number
    if (s >= len) lineStart = len
    else if (src.charCodeAt(s) === NL) lineStart = s + 1
    else if (src.charCodeAt(s) === HASH && s > i) {
      const end = src.indexOf("\n", s)
      lineStart = end < 0 ? len : end + 1
    } else this.fail()
    // The lines that belong to it: blank ones, and those indented past the parent (the first sets the indent).
    const lines: Array<readonly [number, number, number]> = [] // [line start, content start, line end]
    let indent = -1
    let q = lineStart
    while (q < len) {
      const content = this.skipSpaces(q)
      const end = content >= len ? len : src.indexOf("\n", content) < 0 ? len : src.indexOf("\n", content)
      const blank = content >= len || src.charCodeAt(content) === NL
      if (!blank) {
        const column = content - q
        if (indent < 0) {
          if (column <= parent) break
          indent = column
        } else if (column < indent) break
      }
      lines.push([q, content, end])
      q = end + 1
    }
    if (indent < 0) {
      // Only blank lines (or none): the scalar is empty; what follows belongs to the parent.
      if (chomp === "+") this.fail()
      this.peek(lineStart)
      return ""
    }
    // Leading blank lines indented past the content are an error in `yaml`.
    let value = ""
    let sep = ""
    let moreIndented = false
    let last = lines.length
    while (last > 0 && lines[last - 1]![1] === lines[last - 1]![2]) last--
    for (let k = 0; k < last; k++) {
      const [start, content, end] = lines[k]!
      const blank = content === end
      const column = content - start
      if (blank && column > indent) this.fail()
      if (!blank && indent < 0) this.fail()
      const text = blank ? "" : src.slice(start + indent, end)
      if (!folded) {
        value += sep + text
        sep = "\n"
      } else if (!blank && column > indent) {
        if (sep === " ") sep = "\n"
        else if (!moreIndented && sep === "\n") sep = "\n\n"
        value += sep + text
        sep = "\n"
        moreIndented = true
      } else if (blank) {
        if (sep === "\n") value += "\n"
        else sep = "\n"
      } else {
        value += sep + text
        sep = " "
        moreIndented = false
      }
    }
    // Trailing blank lines indented past the content are content in `yaml`: left to it.
    for (let k = last; k < lines.length; k++) {
      const [start, content] = lines[k]!
      if (content - start > indent) this.fail()
    }
    if (chomp === "+") {
      // Kept: every line break after the last content line.
      for (let k = last - 1; k < lines.length; k++) if (lines[k]![2] < len) value += "\n"
      if (value[value.length - 1] !== "\n") value += "\n"
    } else if (chomp === "") value += "\n"
    const after = lines.length === 0 ? lineStart : lines[lines.length - 1]![2] + 1
    this.peek(Math.min(after, len))
    return value
  }
}
