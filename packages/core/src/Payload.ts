/**
 * Large payloads. A trace keeps inputs and outputs inline up to a budget (64 KiB by default); a field above it is
 * kept once as a content-addressed blob (`blobs/<sha256>` in the file store) and the trace holds a reference with a
 * preview, the size and the hash: `{"$blob": "sha256:<hex>", "bytes": 5242880, "preview": "first characters..."}`.
 * Two runs with the same 5 MB output share one blob. The capture mode chooses what is kept:
 * - `full` (default): large fields become blobs; nothing is lost.
 * - `preview`: large fields keep only the preview, size and hash (`"$omitted"` instead of `"$blob"`); no blob.
 * - `none`: no input or output content at all: every field keeps only its size and hash (`"$omitted"`).
 * References are plain JSON objects, so traces stay schema_version 1; `resolve` puts blob contents back. A value that
 * is a reference already (a tool's output streamed to the blobs as it ran, see `BlobSink`) is kept as it is, except
 * that `none` keeps only its hash and size.
 */
import * as Effect from "effect/Effect"
import type { JournalEntry } from "./Journal.ts"
import * as Json from "./Json.ts"
import type { JsonObject } from "./Json.ts"
import type { NodeTraceRecord, ToolCallRecord, WorkflowTrace } from "./WorkflowTrace.ts"

/** What is kept of inputs and outputs. */
export type CaptureMode = "full" | "preview" | "none"

/** How payloads are captured. */
export interface CaptureOptions {
  readonly mode?: CaptureMode
  /** Fields whose JSON is larger than this many bytes are not kept inline; default 65536. */
  readonly maxInlineBytes?: number
}

/** The default inline budget: 64 KiB. */
export const DEFAULT_MAX_INLINE_BYTES = 64 * 1024

/** How many characters a preview keeps. */
export const PREVIEW_CHARS = 256

/** A reference to a payload kept as a blob. */
export interface BlobRef {
  readonly $blob: string
  readonly bytes: number
  readonly preview: string
}

/** A reference to a payload not kept (`preview` and `none` modes): its hash and size, and a preview with `preview`. */
export interface OmittedRef {
  readonly $omitted: string
  readonly bytes: number
  readonly preview?: string
}

/** Whether a value is a reference to a payload that was not kept. */
export const isOmittedRef = (value: unknown): value is OmittedRef => {
  if (typeof value !== "object" || value === null) return false
  const { $omitted, bytes } = value as { readonly $omitted?: unknown; readonly bytes?: unknown }
  return typeof $omitted === "string" && $omitted.startsWith("sha256:") && typeof bytes === "number"
}

/** Whether a value is a blob reference. */
export const isBlobRef = (value: unknown): value is BlobRef =>
  typeof value === "object" && value !== null && typeof (value as { $blob?: unknown }).$blob === "string" &&
  (value as { $blob: string }).$blob.startsWith("sha256:")

/** The sha256 (hex) a blob reference names. */
export const hashOf = (ref: BlobRef): string => ref.$blob.slice("sha256:".length)

/** Every blob hash a trace's JSON text refers to. */
export const referencedHashes = (json: string): ReadonlyArray<string> => {
  const found = new Set<string>()
  for (const match of json.matchAll(/"\$blob":\s*"sha256:([0-9a-f]{64})"/g)) found.add(match[1]!)
  return Array.from(found)
}

/** The sha256 of a text's UTF-8 bytes, in hex (Web Crypto: Node, Deno and browsers alike). */
export const sha256Hex = (bytes: Uint8Array): Effect.Effect<string> =>
  // A copy on a plain ArrayBuffer: Deno's types refuse a view that may sit on a SharedArrayBuffer.
  Effect.promise(() => globalThis.crypto.subtle.digest("SHA-256", new Uint8Array(bytes))).pipe(
    Effect.map((digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""))
  )

/** A blob to store: its hash and its JSON text's bytes. */
export interface Blob {
  readonly sha256: string
  readonly bytes: Uint8Array
}

const encoder = new TextEncoder()

// The JSON text of a value (bounded when nested too deep: see `Json.MAX_DEPTH`), or undefined when JSON cannot hold it.
const stringify = (value: unknown): string | undefined => {
  try {
    return Json.stringify(value) ?? "null"
  } catch {
    return undefined
  }
}

/**
 * A capturer: rewrites traces and journal entries as the mode says, gathering the blobs to write. It is the
 * identity when everything fits inline in `full` mode.
 */
export const make = (options: CaptureOptions = {}) => {
  const mode = options.mode ?? "full"
  const max = options.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES

  const reference = (
    value: unknown,
    text: string,
    blobs: Map<string, Blob>,
    bytes: Uint8Array = encoder.encode(text)
  ): Effect.Effect<unknown> => {
    return Effect.map(sha256Hex(bytes), (sha256) => {
      if (mode === "none") return { $omitted: `sha256:${sha256}`, bytes: bytes.length }
      const preview = (typeof value === "string" ? value : text).slice(0, PREVIEW_CHARS)
      if (mode === "preview") return { $omitted: `sha256:${sha256}`, bytes: bytes.length, preview }
      blobs.set(sha256, { sha256, bytes })
      return { $blob: `sha256:${sha256}`, bytes: bytes.length, preview }
    })
  }

  // The largest values are cut out where they are deepest: a 5 MB `stdout` becomes the same blob whether it sits in
  // a tool call's outputs or in the node's (`{shell: {stdout}}`), so runs and records share it.
  const large = (value: unknown, blobs: Map<string, Blob>): Effect.Effect<unknown> => {
    if (fits(value)) return Effect.succeed(value)
    if (typeof value === "object" && value !== null) {
      const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value)
      return Effect.flatMap(
        Effect.forEach(entries, ([, child]) => large(child, blobs)),
        (children) => {
          const rebuilt: unknown = Array.isArray(value)
            ? children
            : Object.fromEntries(entries.map(([key], i) => [key, children[i]]))
          const text = stringify(rebuilt)
          // Many medium children can still add up to too much: then the whole value goes. (Its text is made once:
          // a value of megabytes is costly to stringify and encode.)
          const bytes = text === undefined ? undefined : oversize(text)
          return text === undefined || bytes === undefined
            ? Effect.succeed(rebuilt)
            : reference(rebuilt, text, blobs, bytes)
        }
      )
    }
    const text = stringify(value)
    return text === undefined ? Effect.succeed(value) : reference(value, text, blobs)
  }

  const field = (value: unknown, blobs: Map<string, Blob>): Effect.Effect<unknown> => {
    if (mode === "none") {
      // A reference made while the tool ran says what the payload was: its hash and size stay (not the reference's).
      if (isBlobRef(value) && typeof value.bytes === "number") {
        return Effect.succeed({ $omitted: value.$blob, bytes: value.bytes })
      }
      if (isOmittedRef(value)) return Effect.succeed({ $omitted: value.$omitted, bytes: value.bytes })
      const text = stringify(value)
      return text === undefined ? Effect.succeed(value) : reference(value, text, blobs)
    }
    return large(value, blobs)
  }

  const object = (o: JsonObject, blobs: Map<string, Blob>): Effect.Effect<JsonObject> => {
    const keys = Object.keys(o)
    if (keys.length === 0) return Effect.succeed(o)
    let changed = false
    const out: Record<string, unknown> = {}
    return Effect.as(
      Effect.forEach(keys, (key) =>
        Effect.map(field(o[key], blobs), (v) => {
          if (v !== o[key]) changed = true
          out[key] = v
        }), { discard: true }),
      undefined
    ).pipe(Effect.map(() => (changed ? out : o)))
  }

  // The UTF-8 bytes of a JSON text larger than the inline budget; undefined when it fits.
  const oversize = (text: string): Uint8Array | undefined => {
    if (text.length * 3 <= max) return undefined
    const bytes = encoder.encode(text)
    return bytes.length <= max ? undefined : bytes
  }

  // A synchronous look first: in `full` and `preview` modes almost every trace fits, and then nothing is rebuilt.
  const fits = (value: unknown): boolean => {
    if (value === null || typeof value === "number" || typeof value === "boolean") return true
    if (typeof value === "string") return value.length * 3 + 2 <= max || encoder.encode(value).length + 2 <= max
    const text = stringify(value)
    // A value JSON cannot hold is left for the writer to report.
    return text === undefined || text.length * 3 <= max || encoder.encode(text).length <= max
  }
  const objectFits = (o: JsonObject): boolean => {
    for (const key in o) if (!fits(o[key])) return false
    return true
  }
  const callFits = (c: ToolCallRecord) => objectFits(c.inputs) && objectFits(c.outputs)
  const nodeFits = (n: NodeTraceRecord) => objectFits(n.inputs) && objectFits(n.outputs) && n.toolCalls.every(callFits)
  const traceFits = (t: WorkflowTrace) => mode !== "none" && objectFits(t.inputs) && objectFits(t.outputs) && t.nodes.every(nodeFits)
  const entryFits = (e: JournalEntry) =>
    mode !== "none" && (e._tag === "Event" || e._tag === "Span" ||
      (e._tag === "NodeStarted" ? objectFits(e.node.inputs) : e._tag === "Node" ? nodeFits(e.node) : callFits(e.toolCall)))

  const toolCall = (call: ToolCallRecord, blobs: Map<string, Blob>): Effect.Effect<ToolCallRecord> =>
    Effect.map(Effect.zip(object(call.inputs, blobs), object(call.outputs, blobs)), ([inputs, outputs]) =>
      inputs === call.inputs && outputs === call.outputs ? call : { ...call, inputs, outputs })

  const node = (record: NodeTraceRecord, blobs: Map<string, Blob>): Effect.Effect<NodeTraceRecord> =>
    Effect.map(
      Effect.all([
        object(record.inputs, blobs),
        object(record.outputs, blobs),
        Effect.forEach(record.toolCalls, (c) => toolCall(c, blobs))
      ]),
      ([inputs, outputs, toolCalls]) =>
        inputs === record.inputs && outputs === record.outputs &&
          toolCalls.every((c, i) => c === record.toolCalls[i])
          ? record
          : { ...record, inputs, outputs, toolCalls }
    )

  return {
    mode,
    /** The trace as captured, and the blobs it refers to. */
    trace: (trace: WorkflowTrace): Effect.Effect<{ readonly trace: WorkflowTrace; readonly blobs: ReadonlyArray<Blob> }> =>
      Effect.suspend(() => {
        if (traceFits(trace)) return Effect.succeed({ trace, blobs: [] as ReadonlyArray<Blob> })
        const blobs = new Map<string, Blob>()
        return Effect.map(
          Effect.all([
            object(trace.inputs, blobs),
            object(trace.outputs, blobs),
            Effect.forEach(trace.nodes, (n) => node(n, blobs))
          ]),
          ([inputs, outputs, nodes]) => ({
            trace: { ...trace, inputs, outputs, nodes } as WorkflowTrace,
            blobs: Array.from(blobs.values()) as ReadonlyArray<Blob>
          })
        )
      }),
    /** The entries as captured, and the blobs they refer to. */
    entries: (
      entries: ReadonlyArray<JournalEntry>
    ): Effect.Effect<{ readonly entries: ReadonlyArray<JournalEntry>; readonly blobs: ReadonlyArray<Blob> }> =>
      Effect.suspend(() => {
        if (entries.every(entryFits)) return Effect.succeed({ entries, blobs: [] as ReadonlyArray<Blob> })
        const blobs = new Map<string, Blob>()
        return Effect.map(
          Effect.forEach(entries, (entry): Effect.Effect<JournalEntry> => {
            switch (entry._tag) {
              case "Event":
              case "Span":
                return Effect.succeed(entry)
              case "NodeStarted":
                return Effect.map(object(entry.node.inputs, blobs), (inputs) => ({
                  _tag: "NodeStarted" as const,
                  node: { ...entry.node, inputs }
                }))
              case "Node":
                return Effect.map(node(entry.node, blobs), (n) => ({ _tag: "Node" as const, node: n }))
              case "ToolCall":
                return Effect.map(toolCall(entry.toolCall, blobs), (c) => ({
                  _tag: "ToolCall" as const,
                  toolCall: c,
                  nodeId: entry.nodeId
                }))
            }
          }),
          (captured) => ({
            entries: captured as ReadonlyArray<JournalEntry>,
            blobs: Array.from(blobs.values()) as ReadonlyArray<Blob>
          })
        )
      })
  }
}

/** A capturer. */
export type Capturer = ReturnType<typeof make>

/** The trace with every blob reference replaced by the blob's content, read with `read` (by sha256). */
export const resolve = <E, R>(
  trace: WorkflowTrace,
  read: (sha256: string) => Effect.Effect<string, E, R>
): Effect.Effect<WorkflowTrace, E, R> => {
  const cache = new Map<string, unknown>()
  // Iterative: a trace file may hold values nested deeper than a recursive walk could go.
  const hasRef = (root: unknown): boolean => {
    const pending: Array<unknown> = [root]
    while (pending.length > 0) {
      const v = pending.pop()
      if (typeof v !== "object" || v === null) continue
      if (isBlobRef(v)) return true
      for (const child of Object.values(v)) if (typeof child === "object" && child !== null) pending.push(child)
    }
    return false
  }
  // Blob references sit at any depth (the deepest large value is cut out).
  const value = (v: unknown): Effect.Effect<unknown, E, R> => {
    if (!hasRef(v)) return Effect.succeed(v)
    if (isBlobRef(v)) {
      const hash = hashOf(v)
      if (cache.has(hash)) return Effect.succeed(cache.get(hash))
      return Effect.map(read(hash), (text) => {
        const parsed: unknown = JSON.parse(text)
        cache.set(hash, parsed)
        return parsed
      })
    }
    if (Array.isArray(v)) return Effect.forEach(v, value)
    const o = v as Record<string, unknown>
    const out: Record<string, unknown> = {}
    return Effect.as(
      Effect.forEach(Object.keys(o), (key) => Effect.map(value(o[key]), (r) => void (out[key] = r)), { discard: true }),
      out
    )
  }
  const object = (o: JsonObject): Effect.Effect<JsonObject, E, R> => value(o) as Effect.Effect<JsonObject, E, R>
  const toolCall = (c: ToolCallRecord) =>
    Effect.map(Effect.zip(object(c.inputs), object(c.outputs)), ([inputs, outputs]) => ({ ...c, inputs, outputs }))
  return Effect.map(
    Effect.all([
      object(trace.inputs),
      object(trace.outputs),
      Effect.forEach(trace.nodes, (n) =>
        Effect.map(
          Effect.all([object(n.inputs), object(n.outputs), Effect.forEach(n.toolCalls, toolCall)]),
          ([inputs, outputs, toolCalls]) => ({ ...n, inputs, outputs, toolCalls })
        ))
    ]),
    ([inputs, outputs, nodes]) => ({ ...trace, inputs, outputs, nodes })
  )
}
