/**
 * The store's caches, both rebuilt from the trace files and never the only copy of anything:
 * - `.index.jsonl`: one line per trace file with its size, modification time, summary and the blobs it refers to,
 *   appended as traces are saved (last line of a file wins; `{"file": f, "removed": true}` forgets one). It is what
 *   `list` reads, so it stays small. An entry is used only while its file's size and mtime still match; files it does
 *   not know are read and added; an index that is missing or does not parse is rebuilt from the files.
 * - `.facts.jsonl`: the facts of each trace's nodes (what `listNodeFacts` gives, for traces of up to
 *   `MAX_FACT_NODES` nodes), one line per file with the size and mtime they were taken from, read only by
 *   `listNodeFacts`. Facts whose size and mtime no longer match the file's index entry are not used (the file is read).
 */
import * as NodeFacts from "@victor/core/NodeFacts"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import type * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import type { TraceSummary } from "@victor/core/WorkflowTrace"
import * as Option from "effect/Option"

/** The index file's name in the store directory (hidden, so listings of trace files never see it). */
export const INDEX_NAME = ".index.jsonl"

/** The node facts file's name in the store directory. */
export const FACTS_NAME = ".facts.jsonl"

/** What the index knows of one file. */
export interface Entry {
  readonly file: string
  readonly size: number
  readonly mtime: number
  /** The summary, or why the file is skipped (a foreign or corrupt file: it is warned about, not re-read). */
  readonly summary: TraceSummary | undefined
  readonly skip: string | undefined
  readonly blobs: ReadonlyArray<string>
  /**
   * The node facts in their wire form (`encodeFacts`), checked only when used (`decodeFacts`), when they are at hand:
   * for a file just read, or from an index line of an older version (which kept them in the index). Never written to
   * the index; they go to the facts file.
   */
  readonly facts: unknown
}

/** Traces with more nodes keep no facts in the facts file (a line per trace must stay small); they are read instead. */
export const MAX_FACT_NODES = 1000

/**
 * The facts of a trace's nodes as the facts file keeps them, one array per node, short for the usual node:
 * `[id, timestamp, duration]` succeeded without iteration or error, `[id, timestamp, duration, iteration]` succeeded,
 * `[id, timestamp, duration, iteration, success, error]` any. Undefined above `MAX_FACT_NODES`.
 */
export const encodeFacts = (nodes: ReadonlyArray<NodeFacts.NodeFacts>): unknown =>
  nodes.length > MAX_FACT_NODES ? undefined : nodes.map((n) =>
    !n.success || n.error !== null
      ? [n.nodeId, n.timestamp, n.durationSeconds, n.iteration, n.success, n.error]
      : n.iteration === null
      ? [n.nodeId, n.timestamp, n.durationSeconds]
      : [n.nodeId, n.timestamp, n.durationSeconds, n.iteration]
  )

/** Node facts from their wire form, or undefined when they are missing or malformed (then the file is read). */
export const decodeFacts = (facts: unknown): ReadonlyArray<NodeFacts.NodeFacts> | undefined => {
  if (!Array.isArray(facts)) return undefined
  const out: Array<NodeFacts.NodeFacts> = []
  for (const f of facts) {
    if (!Array.isArray(f) || !(f.length === 3 || f.length === 4 || f.length === 6)) return undefined
    const [nodeId, timestamp, durationSeconds, iteration = null, success = true, error = null] = f as Array<unknown>
    if (
      typeof nodeId !== "string" || typeof timestamp !== "number" || typeof durationSeconds !== "number" ||
      !(iteration === null || isNumber(iteration)) || typeof success !== "boolean" ||
      !(error === null || typeof error === "string")
    ) return undefined
    out.push({ nodeId, iteration, timestamp, durationSeconds, success, error })
  }
  return out
}

/** One index line (without the newline). */
export const encode = (entry: Entry): string => {
  const s = entry.summary
  return JSON.stringify({
    file: entry.file,
    size: entry.size,
    mtime: entry.mtime,
    ...(s === undefined ? { skip: entry.skip ?? "not a trace" } : { summary: WorkflowTrace.encodeSummary(s) }),
    ...(entry.blobs.length === 0 ? {} : { blobs: entry.blobs })
  })
}

/** The facts file's line for an entry, or undefined when it has no facts to keep. */
export const encodeFactsLine = (entry: Entry): string | undefined =>
  entry.facts === undefined ? undefined : JSON.stringify({
    file: entry.file,
    size: entry.size,
    mtime: entry.mtime,
    nodes: entry.facts
  })

/** The line that forgets a file. */
export const encodeRemoval = (file: string): string => JSON.stringify({ file, removed: true })

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)

// The `WorkflowTrace.TraceSummary` schema decides (through `TraceDecoder`'s fast check); a summary it refuses makes the
// line broken, and the index is rebuilt.
const decodeSummary = (v: unknown): TraceSummary | undefined => Option.getOrUndefined(TraceDecoder.decodeSummary(v))

/**
 * A parsed index: the entries by file, how many lines it has, whether any line was broken, and whether any line
 * carried node facts (an index of an older version: rewritten without them, its facts moved to the facts file).
 */
export interface Parsed {
  readonly entries: Map<string, Entry>
  readonly lines: number
  readonly corrupt: boolean
  readonly legacy: boolean
}

// Shared by the many entries without blobs (one array fewer per line).
const noBlobs: ReadonlyArray<string> = []

// Hands each non-empty line of a JSON-lines cache to `read` as an object; counts the lines, and notes a line that
// does not parse or that `read` refuses (returns false).
const readLines = (
  text: string,
  read: (o: Record<string, unknown>) => boolean
): { readonly lines: number; readonly corrupt: boolean } => {
  let lines = 0
  let corrupt = false
  for (const line of text.split("\n")) {
    if (line.length === 0) continue
    lines++
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      corrupt = true
      continue
    }
    if (!read((typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>)) corrupt = true
  }
  return { lines, corrupt }
}

/** Parses the index text; a broken line marks it corrupt (the caller rebuilds it). */
export const parse = (text: string): Parsed => {
  const entries = new Map<string, Entry>()
  let legacy = false
  const { corrupt, lines } = readLines(text, (o) => {
    const file = o["file"]
    if (typeof file !== "string") return false
    if (o["removed"] === true) {
      entries.delete(file)
      return true
    }
    const summary = decodeSummary(o["summary"])
    const skip = typeof o["skip"] === "string" ? o["skip"] : undefined
    const blobs = Array.isArray(o["blobs"]) ? o["blobs"].filter((b): b is string => typeof b === "string") : noBlobs
    if (!isNumber(o["size"]) || !isNumber(o["mtime"]) || (summary === undefined && skip === undefined)) return false
    const facts = o["nodes"]
    if (facts !== undefined) legacy = true
    entries.set(file, { file, size: o["size"], mtime: o["mtime"], summary, skip, blobs, facts })
    return true
  })
  return { entries, lines, corrupt, legacy }
}

/** What the facts file knows of one file: the facts (wire form) taken from it at this size and mtime. */
export interface Facts {
  readonly size: number
  readonly mtime: number
  readonly nodes: unknown
}

/** A parsed facts file: the facts by file (last line wins), how many lines it has, and whether any was broken. */
export interface ParsedFacts {
  readonly facts: Map<string, Facts>
  readonly lines: number
  readonly corrupt: boolean
}

/** Parses the facts file's text; a broken line marks it corrupt (the caller rewrites it). */
export const parseFacts = (text: string): ParsedFacts => {
  const facts = new Map<string, Facts>()
  const { corrupt, lines } = readLines(text, (o) => {
    const file = o["file"]
    const size = o["size"]
    const mtime = o["mtime"]
    if (typeof file !== "string" || !isNumber(size) || !isNumber(mtime) || o["nodes"] === undefined) return false
    facts.set(file, { size, mtime, nodes: o["nodes"] })
    return true
  })
  return { facts, lines, corrupt }
}
