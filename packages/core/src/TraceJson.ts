/**
 * The JSON text of a trace in the guide's wire format ("Trace Structure", snake_case keys), produced piece by piece.
 * Node records and events are encoded one at a time, so a 100,000-node trace is never held as one giant string.
 * Every writer of trace JSON (the JSON exporter, the file store) goes through here, so they all write the same bytes:
 * exactly `JSON.stringify(WorkflowTrace.encode(trace), null, indent)`.
 *
 * The values in inputs, outputs, metadata and event data must be JSON values; like `JSON.stringify`, iterating throws
 * a `TypeError` on a BigInt or a cycle, which callers turn into their own typed errors.
 */
import * as Schema from "effect/Schema"
import { ExecutionEvent } from "./ExecutionEvent.ts"
import * as WorkflowTrace from "./WorkflowTrace.ts"

/** How the JSON is laid out. */
export interface Options {
  /** Spaces per nesting level, 0 to 10 like `JSON.stringify`; 0 writes compact JSON. Defaults to 2, like the guide. */
  readonly indent?: number
}

/** Options of {@link bytes}. */
export interface BytesOptions extends Options {
  /** About how many characters go into one byte chunk; defaults to {@link DEFAULT_BATCH_SIZE}. */
  readonly batchSize?: number
}

/** The indent used when none is given: two spaces, as in the guide. */
export const DEFAULT_INDENT = 2

/** The default size of a byte chunk of {@link bytes}, in characters: 64 KiB. */
export const DEFAULT_BATCH_SIZE = 64 * 1024

/** The trace's JSON as a lazy sequence of strings (one per node record or event, plus the parts around them). */
export const chunks = (trace: WorkflowTrace.WorkflowTrace, options: Options = {}): Iterable<string> => ({
  [Symbol.iterator]: () => generate(trace, normalizeIndent(options.indent))
})

/** The trace's JSON as one string; for small traces (big ones should use {@link chunks} or {@link bytes}). */
export const encodeToString = (trace: WorkflowTrace.WorkflowTrace, options: Options = {}): string =>
  Array.from(chunks(trace, options)).join("")

/**
 * The trace's JSON as a lazy sequence of UTF-8 byte chunks: the strings of {@link chunks} gathered into batches of at
 * most `batchSize` characters (a longer string is split, never inside a surrogate pair) and then encoded, so that each
 * chunk is at most three bytes per character.
 */
export const bytes = (trace: WorkflowTrace.WorkflowTrace, options: BytesOptions = {}): Iterable<Uint8Array> => ({
  [Symbol.iterator]: () => batchBytes(chunks(trace, options), normalizeBatchSize(options.batchSize))
})

const encodeEvent = Schema.encodeSync(ExecutionEvent)

// Mirrors how JSON.stringify reads a numeric indent, so that the output matches it byte for byte.
const normalizeIndent = (indent: number | undefined): number =>
  indent === undefined ? DEFAULT_INDENT : Number.isFinite(indent) ? Math.min(10, Math.max(0, Math.floor(indent))) : 0

const normalizeBatchSize = (size: number | undefined): number =>
  size === undefined || !Number.isFinite(size) ? DEFAULT_BATCH_SIZE : Math.max(16, Math.floor(size))

function* generate(trace: WorkflowTrace.WorkflowTrace, indent: number): Generator<string, void, undefined> {
  // The header is encoded without its arrays; they are streamed in place, keeping the schema's key order.
  const header = WorkflowTrace.encode({ ...trace, nodes: [], events: [] })
  const newline = indent > 0 ? "\n" : ""
  const pad = " ".repeat(indent)
  const itemPad = pad + pad
  const colon = indent > 0 ? ": " : ":"
  // JSON.stringify escapes newlines inside strings, so every "\n" in its output is layout and can be re-indented.
  const nest = (json: string, by: string) => (indent > 0 ? json.replaceAll("\n", "\n" + by) : json)
  let out = "{"
  let first = true
  for (const [key, value] of Object.entries(header)) {
    const items: ReadonlyArray<unknown> | undefined = key === "nodes"
      ? trace.nodes
      : key === "events"
      ? trace.events
      : undefined
    if (items !== undefined) {
      out += (first ? "" : ",") + newline + pad + JSON.stringify(key) + colon
      first = false
      if (items.length === 0) {
        out += "[]"
        continue
      }
      yield out + "["
      const encodeItem = key === "nodes"
        ? (item: unknown) => WorkflowTrace.encodeNode(item as WorkflowTrace.NodeTraceRecord)
        : (item: unknown) => encodeEvent(item as ExecutionEvent)
      for (let i = 0; i < items.length; i++) {
        const json = JSON.stringify(encodeItem(items[i]), null, indent) ?? "null"
        yield (i === 0 ? "" : ",") + newline + itemPad + nest(json, itemPad)
      }
      out = newline + pad + "]"
      continue
    }
    const json: string | undefined = JSON.stringify(value, null, indent)
    if (json === undefined) continue
    out += (first ? "" : ",") + newline + pad + JSON.stringify(key) + colon + nest(json, pad)
    first = false
  }
  yield out + (first ? "" : newline) + "}"
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

function* batchBytes(pieces: Iterable<string>, size: number): Generator<Uint8Array, void, undefined> {
  const encoder = new TextEncoder()
  let pending: Array<string> = []
  let length = 0
  const flush = () => {
    const batch = encoder.encode(pending.join(""))
    pending = []
    length = 0
    return batch
  }
  for (const piece of pieces) {
    let rest = piece
    while (rest.length > 0) {
      const room = size - length
      if (rest.length <= room) {
        pending.push(rest)
        length += rest.length
        break
      }
      let cut = room
      if (cut > 0 && isHighSurrogate(rest.charCodeAt(cut - 1))) cut -= 1
      if (cut > 0) {
        pending.push(rest.slice(0, cut))
        length += cut
        rest = rest.slice(cut)
      }
      yield flush()
    }
  }
  if (length > 0) yield flush()
}
