/**
 * A store capability: blobs written as a stream, while a tool still runs. A command printing a gigabyte cannot be
 * held as one string (V8 refuses strings past about 512 MB, and long before that the run needs gigabytes), so its
 * output goes to the store's blobs as it arrives, and the tool's output holds the same reference the store makes of
 * a large field when it saves a trace (see `Payload`): `{"$blob": "sha256:<hex>", "bytes": N, "preview": "..."}`.
 * Readers, `trace show`, exports and the HTML report need nothing new.
 *
 * `captureText` is how a tool uses it. A text up to `maxInMemoryBytes` (8 MiB by default) stays a string, as before,
 * and the store offloads it when it saves the trace if it is large. Past that, the text is redacted piece by piece
 * (see below), written to the sink as the JSON string the store would have written (same bytes, same sha256, hashed
 * as it goes), and only the reference is kept. So the workflow state holds the reference too: a downstream node reads
 * `stdout.preview` (the first 256 characters), `stdout.bytes`, and `stdout.$blob`, which names the blob that holds
 * all of it (`victor trace show --full`, `TraceBlobs.resolve`). Nothing is lost; only what is in memory is bounded.
 *
 * The store's capture mode holds for streamed text too: with `preview` nothing is written and the output is
 * `{"$omitted": "sha256:<hex>", "bytes": N, "preview": "..."}`; with `none`, the same without preview.
 *
 * Redaction: a blob is a sink, so a streamed text is redacted before any byte of it is written, with the redactor of
 * the trace the tool runs in (the run's rules and the secrets of its context), or the `CurrentRedactor` outside a
 * trace. Redaction works on the text as pieces arrive: the last 64 KiB are always held back, and a piece is cut off
 * only where no match can span the cut (see `internal/streamRedaction.ts`), so a secret split across two reads of the
 * pipe is redacted as it would be in one string. A secret or a pattern match longer than 64 KiB may not be found
 * whole; if secrets follow each other so closely that no safe cut is found in 8 MiB, the rest of the output is
 * withheld (the blob ends with `[REDACTED]`) rather than risk one. The preview, the size and the hash are of the
 * redacted text. (A rule that would redact the reference itself, a pattern matching sha256 hashes, leaves the output
 * as its preview with a note instead: the blob could never be found.)
 *
 * Optional, as the store's other capabilities: without a `BlobSink` in context (a store that keeps no blobs, a
 * program that provides none), `captureText` keeps the whole text in memory as before.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { currentCursor } from "./internal/activeTrace.ts"
import { Sha256 } from "./Sha256.ts"
import * as StreamRedaction from "./internal/streamRedaction.ts"
import { emptyObject } from "./Json.ts"
import * as Payload from "./Payload.ts"
import * as Redaction from "./Redaction.ts"
import * as TraceBlobs from "./TraceBlobs.ts"
import { TraceStoreError } from "./TraceStore.ts"
import type { WorkflowTrace } from "./WorkflowTrace.ts"

/** A blob being written: its bytes in order, then kept under their sha256, or dropped with its scope. */
export interface BlobWriter {
  /** Appends bytes (written through to the store, not gathered in memory). */
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, TraceStoreError>
  /**
   * Keeps what was written as the blob named `sha256` (the caller hashed it); one already there is kept instead. A
   * writer whose scope closes before this drops what it wrote.
   */
  readonly commit: (sha256: string) => Effect.Effect<void, TraceStoreError>
}

/** The streamed blob capability of a store. */
export class BlobSink extends Context.Tag("@victor/core/BlobSink")<
  BlobSink,
  {
    /** How the store captures payloads: with `preview` or `none` it keeps no blob, and nothing is written. */
    readonly capture: Payload.CaptureOptions
    /** Starts a blob; it is dropped when the scope closes before `commit`. */
    readonly open: Effect.Effect<BlobWriter, TraceStoreError, Scope.Scope>
  }
>() {}

/** How much of a text stays in memory as a string before it is streamed: 8 MiB. */
export const DEFAULT_MAX_IN_MEMORY_BYTES = 8 * 1024 * 1024

/** A captured text: the text itself, or a reference to it. */
export type CapturedText = string | Payload.BlobRef | Payload.OmittedRef

/** How a text is captured. */
export interface CaptureTextOptions {
  /**
   * The output field the text becomes (`stdout`): when the run's redaction hides that field whole (a key or path
   * rule), a text past the limit is read to its end and dropped, and the result is `[REDACTED]`.
   */
  readonly field?: string
  /**
   * A text larger than this (in bytes as it arrives) is streamed; default {@link DEFAULT_MAX_IN_MEMORY_BYTES}, and
   * never less than the store's `maxInlineBytes` when one is configured.
   */
  readonly maxInMemoryBytes?: number
}

/** The text of a captured text as far as it is at hand: itself, or its reference's preview. */
export const textOf = (captured: CapturedText): string =>
  typeof captured === "string" ? captured : captured.preview ?? ""

/** The longest match redaction is sure to find whole in a streamed text. */
const WINDOW = 64 * 1024
/** How much text is gathered before the next piece is redacted, encoded, hashed and written. */
const SEGMENT = 1024 * 1024
/** How long redaction may wait for a safe cut before it withholds the rest. */
const WITHHOLD_AFTER = DEFAULT_MAX_IN_MEMORY_BYTES

const encoder = new TextEncoder()

// A trace that holds only `error`: the trace's sanitizer redacts that field with its redactor's `text`.
const probe = (text: string | null): WorkflowTrace => ({
  schemaVersion: 1,
  traceId: "",
  workflowName: "",
  status: "running",
  startTime: 0,
  endTime: null,
  durationSeconds: 0,
  error: text,
  inputs: emptyObject,
  outputs: emptyObject,
  metadata: emptyObject,
  parentTraceId: null,
  traceParent: null,
  nodes: [],
  events: []
})

/** How a streamed text is redacted. */
interface TextRedaction {
  /** A text's redacted copy (secret values, patterns, URL passwords). */
  readonly text: (text: string) => string
  /** Whether a field of a tool's outputs of this name is redacted whole (by a key or a path rule). */
  readonly hides: (field: string) => boolean
}

/**
 * How text is redacted where the calling fiber stands: with the redactor of its current trace (what the store's copy
 * goes through, context secrets included), else with the `CurrentRedactor`.
 */
const currentRedaction: Effect.Effect<TextRedaction> = Effect.withFiberRuntime((fiber) => {
  const prepare = fiber.getFiberRef(currentCursor)?.trace?.persistence?.prepare
  if (prepare !== undefined) {
    return Effect.succeed({
      text: (text) => prepare(probe(text)).error ?? text,
      hides: (field) => prepare({ ...probe(null), outputs: { [field]: "" } }).outputs[field] === Redaction.REDACTED
    })
  }
  return Effect.map(Redaction.CurrentRedactor, (redactor) => ({
    text: redactor.active ? redactor.text : (text) => text,
    hides: (field) => redactor.active && redactor.object({ [field]: "" }, "outputs")[field] === Redaction.REDACTED
  }))
})

/**
 * Reads a stream of UTF-8 bytes (a command's stdout, a file) to its end: the text itself while it stays within
 * `maxInMemoryBytes`; past that, with a `BlobSink` in context, a reference to the blob it was streamed into (see the
 * module's header). Without a sink, the whole text, as before.
 */
export const captureText = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  options: CaptureTextOptions = {}
): Effect.Effect<CapturedText, E | TraceStoreError, R> =>
  Effect.flatMap(Effect.serviceOption(BlobSink), (sink) =>
    Option.isNone(sink)
      ? Stream.mkString(Stream.decodeText(stream))
      : Effect.scoped(streamed(
        stream,
        sink.value,
        // A text the store would keep inline (a larger `maxInlineBytes` configured) is not streamed either.
        Math.max(options.maxInMemoryBytes ?? DEFAULT_MAX_IN_MEMORY_BYTES, sink.value.capture.maxInlineBytes ?? 0),
        options.field
      )))

const streamed = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  sink: BlobSink["Type"],
  maxInMemory: number,
  field: string | undefined
): Effect.Effect<CapturedText, E | TraceStoreError, R | Scope.Scope> =>
  Effect.gen(function*() {
    const mode = sink.capture.mode ?? "full"
    const decoder = new TextDecoder()
    // In memory until the text passes the limit.
    let held: Array<string> | undefined = []
    let received = 0
    // Once streaming: the writer (none unless `full`), the hash and size of the JSON text, its first characters.
    let writer: BlobWriter | undefined
    let redactor: StreamRedaction.StreamRedactor | undefined
    const hash = new Sha256()
    let bytes = 0
    let preview = ""

    // A redacted piece, as part of the JSON string the store would write: hashed, counted, written.
    const emit = (piece: string, first: boolean, last: boolean): Effect.Effect<void, TraceStoreError> => {
      if (preview.length < Payload.PREVIEW_CHARS) preview += piece.slice(0, Payload.PREVIEW_CHARS - preview.length)
      const json = JSON.stringify(piece)
      // The opening quote with the first piece only, the closing one with the last.
      const chunk = encoder.encode(json.slice(first ? 0 : 1, last ? json.length : -1))
      hash.update(chunk)
      bytes += chunk.length
      return writer === undefined ? Effect.void : writer.write(chunk)
    }
    let started = false
    const emitPiece = (piece: string): Effect.Effect<void, TraceStoreError> => {
      if (piece === "") return Effect.void
      const first = !started
      started = true
      return emit(piece, first, false)
    }

    let redact: (text: string) => string = (text) => text
    // Whether the text is dropped: its field would be redacted whole anyway, so no byte of it goes anywhere.
    let dropped = false
    // The text held so far goes first: redacted, written, and from then on every piece as it comes.
    const start = (text: string) => Effect.gen(function*() {
      const redaction = yield* currentRedaction
      if (field !== undefined && redaction.hides(field)) {
        dropped = true
        return
      }
      if (mode === "full") writer = yield* sink.open
      redact = redaction.text
      redactor = StreamRedaction.make(redact, { window: WINDOW, segment: SEGMENT, limit: WITHHOLD_AFTER })
      yield* emitPiece(redactor.push(text))
    })

    yield* Stream.runForEach(stream, (chunk) => {
      received += chunk.length
      if (dropped) return Effect.void
      const piece = decoder.decode(chunk, { stream: true })
      if (held !== undefined) {
        held.push(piece)
        if (received <= maxInMemory) return Effect.void
        const text = held.join("")
        held = undefined
        return start(text)
      }
      return emitPiece(redactor!.push(piece))
    })
    if (dropped) return Redaction.REDACTED
    const rest = decoder.decode()
    if (held !== undefined) return held.join("") + rest
    const tail = redactor!.push(rest) + redactor!.end()
    // The closing quote (with the rest, when there is any).
    yield* emit(tail, !started, true)
    const name = `sha256:${hash.digestHex()}`
    // A redaction rule that matches hashes (a pattern for hex keys) would turn the reference into `[REDACTED]` in
    // every sink, and the blob could never be found: it is not kept, and the output says why.
    if (redact(name) !== name) {
      return `${preview}... [${bytes} bytes not kept: a redaction rule matches the sha256 that would name them]`
    }
    if (mode === "none") return { $omitted: name, bytes }
    if (mode === "preview") return { $omitted: name, bytes, preview }
    yield* writer!.commit(name.slice("sha256:".length))
    return { $blob: name, bytes, preview }
  })

/** A sink over an in-memory map of blobs, by sha256: the reference implementation and test double. */
export const makeMemory = (
  blobs: Map<string, Uint8Array> = new Map(),
  capture: Payload.CaptureOptions = {}
): BlobSink["Type"] => ({
  capture,
  open: Effect.sync(() => {
    const parts: Array<Uint8Array> = []
    return {
      write: (bytes) => Effect.sync(() => void parts.push(bytes.slice())),
      commit: (sha256) =>
        Effect.flatMap(TraceBlobs.validateBlobName(sha256), (hash) =>
          Effect.sync(() => {
            if (blobs.has(hash)) return
            const size = parts.reduce((sum, part) => sum + part.length, 0)
            const all = new Uint8Array(size)
            let at = 0
            for (const part of parts) {
              all.set(part, at)
              at += part.length
            }
            blobs.set(hash, all)
          }))
    }
  })
})

/**
 * A sink over an in-memory map, and the `TraceBlobs` that reads the same map: what a test needs to stream a blob
 * and resolve a trace that refers to it.
 */
export const layerMemory = (
  blobs: Map<string, Uint8Array> = new Map(),
  capture: Payload.CaptureOptions = {}
): Layer.Layer<BlobSink | TraceBlobs.TraceBlobs> =>
  Layer.succeedContext(
    Context.make(BlobSink, makeMemory(blobs, capture)).pipe(Context.add(TraceBlobs.TraceBlobs, {
      readBlob: (sha256) =>
        Effect.flatMap(TraceBlobs.validateBlobName(sha256), (hash) => {
          const blob = blobs.get(hash)
          return blob === undefined
            ? Effect.fail(new TraceStoreError({ reason: "NotFound", description: `no blob ${hash}` }))
            : Effect.succeed(new TextDecoder().decode(blob))
        })
    }))
  )

/**
 * The sink of a store's services, when its store has one, as a layer: what a program running workflows over a store
 * gives to the run, so that tools stream into that store (none, and nothing streamed, when the store has no sink).
 */
export const layerFrom = <Services>(services: Context.Context<Services>): Layer.Layer<never> =>
  Option.match(Context.getOption(services, BlobSink), {
    onNone: () => Layer.empty,
    // Typed as providing nothing: the capability is optional, and read with `Effect.serviceOption`.
    onSome: (sink): Layer.Layer<never> => Layer.succeed(BlobSink, sink) as Layer.Layer<unknown> as Layer.Layer<never>
  })
