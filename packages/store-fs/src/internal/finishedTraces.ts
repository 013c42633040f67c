/**
 * The finished traces of the file system store, `{workflow}_{traceId}.json` in the guide's JSON format: captured
 * (large payloads to blobs, written first), streamed to a temp file, flushed, and put in place with a rename, or with
 * a hard link that never replaces a file (recovery), so that a reader never sees half a trace; then indexed, and any
 * copy of the same trace under another workflow name removed. Found by id by the names that may hold it.
 */
import type * as Payload from "@victor/core/Payload"
import * as TraceJson from "@victor/core/TraceJson"
import * as NodeFacts from "@victor/core/NodeFacts"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Blobs from "./blobs.ts"
import type * as StoreDirectory from "./storeDirectory.ts"
import * as Files from "./storeFiles.ts"
import type * as StoreIndex from "./storeIndex.ts"
import * as internal from "./traceFiles.ts"
import * as TraceIndex from "./traceIndex.ts"

/** What the finished traces need of the store. */
export interface FinishedTracesOptions {
  readonly files: Files.StoreFiles
  readonly directory: StoreDirectory.StoreDirectory
  readonly blobs: Blobs.Blobs
  readonly index: StoreIndex.StoreIndex
  readonly capturer: Payload.Capturer
  /** A temp file's name, stamped with this process (so that others can tell when its writer died). */
  readonly tempName: (name: string) => string
}

/** A parsed file that may hold a trace. */
export interface Candidate {
  readonly file: string
  readonly json: unknown
}

/** The finished traces of a store. */
export interface FinishedTraces {
  /**
   * The parsed files that may hold this id: named `*_{id}.json` and not declaring another id (a file of id `a_b`
   * is also named `*_b.json`). Problems with files that might be this trace are returned, not raised, so that a
   * readable copy still wins. `except`: a file not to read.
   */
  readonly candidates: (id: string, except?: string) => Effect.Effect<
    { readonly found: ReadonlyArray<Candidate>; readonly problems: Array<TraceStore.TraceStoreError> },
    TraceStore.TraceStoreError
  >
  /** Writes a trace (captured: large payloads to blobs) and indexes it; with `noClobber`, never over a file. */
  readonly store: (trace: WorkflowTrace.WorkflowTrace, noClobber: boolean) => Effect.Effect<boolean, TraceStore.TraceStoreError>
  /** Stores a trace, replacing one with the same id. */
  readonly save: (trace: WorkflowTrace.WorkflowTrace) => Effect.Effect<void, TraceStore.TraceStoreError>
}

/** The finished traces of a store. */
export const make = (options: FinishedTracesOptions): FinishedTraces => {
  const { blobs, capturer, files, index, tempName } = options
  const { directory, fs, nofollow, path, readText, statOf } = files

  /** A file's parsed JSON, or none when it no longer exists. */
  const readJson = (file: string): Effect.Effect<Option.Option<unknown>, TraceStore.TraceStoreError> =>
    Effect.flatMap(readText(file), Option.match({
      onNone: () => Effect.succeed(Option.none()),
      onSome: (text) => Effect.map(internal.parseJson(file, text), Option.some)
    }))

  const candidates = (id: string, except?: string) =>
    Effect.gen(function*() {
      const found: Array<Candidate> = []
      const problems: Array<TraceStore.TraceStoreError> = []
      for (const name of yield* options.directory.readNames) {
        if (!internal.mayHoldId(name, id)) continue
        const file = path.join(directory, name)
        if (file === except) continue
        const read = yield* Effect.either(readJson(file))
        if (read._tag === "Left") {
          problems.push(read.left)
          continue
        }
        if (Option.isNone(read.right)) continue
        const declared = internal.declaredTraceId(read.right.value)
        if (declared !== undefined && declared !== id) continue
        found.push({ file, json: read.right.value })
      }
      return { found, problems }
    })

  /**
   * Streams the trace's JSON into a fresh temp file, flushed, then puts it in place: renamed over the final name,
   * or with `noClobber` hard-linked (failing with AlreadyExists rather than replacing a file). No partial file stays.
   */
  const writeAtomically = (trace: WorkflowTrace.WorkflowTrace, file: string, noClobber = false) => {
    const temp = path.join(directory, tempName(path.basename(file)))
    const cannotWrite = internal.unavailable("write trace to", file, trace.traceId)
    const streamToTemp = Effect.scoped(Effect.gen(function*() {
      // Created 0600 (whatever the umask), never through a link.
      const handle = yield* Effect.mapError(nofollow.open(temp, { flag: "wx", mode: 0o600 }), cannotWrite)
      const batches = TraceJson.bytes(trace)[Symbol.iterator]()
      while (true) {
        const next = yield* Effect.try({ try: () => batches.next(), catch: internal.unencodable(file, trace.traceId) })
        if (next.done === true) break
        yield* Effect.mapError(handle.writeAll(next.value), cannotWrite)
      }
      // Flushed before the rename, so that the final name never points at data still in flight.
      yield* Effect.mapError(handle.sync, cannotWrite)
    }))
    return Effect.gen(function*() {
      yield* streamToTemp
      if (noClobber) {
        // Never over a file; a link in its place is not one of the store's files (removed, what it points at stays).
        const link = Effect.either(fs.link(temp, file))
        let linked = yield* link
        if (linked._tag === "Left" && linked.left._tag === "SystemError" && linked.left.reason === "AlreadyExists") {
          const there = yield* statOf(file)
          if (Option.isSome(there) && there.value.type === "SymbolicLink") {
            yield* Effect.ignore(fs.remove(file))
            linked = yield* link
          }
        }
        yield* Effect.ignore(fs.remove(temp))
        if (linked._tag === "Left") {
          if (linked.left._tag === "SystemError" && linked.left.reason === "AlreadyExists") return false
          return yield* Effect.fail(cannotWrite(linked.left))
        }
        return true
      }
      // Replaces whatever has the name (a link too), never what a link points at.
      yield* Effect.mapError(fs.rename(temp, file), cannotWrite)
      return true
    }).pipe(Effect.onError(() => Effect.ignore(fs.remove(temp))))
  }

  /** Removes other files holding this id (the same trace saved earlier under another workflow name). */
  const removeStale = (id: string, keep: string) =>
    Effect.gen(function*() {
      // The file just written is not read back: it can be a 100,000-node trace.
      const { found } = yield* candidates(id, keep)
      for (const { file, json } of found) {
        if (internal.declaredTraceId(json) !== id) continue
        yield* fs.remove(file).pipe(
          Files.ignoreNotFound<void>(undefined),
          Effect.mapError(internal.unavailable("remove old copy of trace", file, id))
        )
        yield* index.appendIndex([TraceIndex.encodeRemoval(path.basename(file))])
      }
    })

  const store = (trace: WorkflowTrace.WorkflowTrace, noClobber: boolean) =>
    Effect.gen(function*() {
      const id = yield* TraceStore.validateId(trace.traceId)
      const name = internal.fileName(trace.workflowName, id)
      const file = path.join(directory, name)
      yield* options.directory.ensure
      const captured = yield* capturer.trace(trace)
      yield* blobs.write(captured.blobs)
      const written = yield* writeAtomically(captured.trace, file, noClobber)
      if (!written) return false
      const stat = yield* statOf(file)
      if (Option.isSome(stat)) {
        const entry: TraceIndex.Entry = {
          file: name,
          ...stat.value,
          summary: WorkflowTrace.summarize(captured.trace),
          skip: undefined,
          blobs: captured.blobs.map((b) => b.sha256),
          facts: TraceIndex.encodeFacts(captured.trace.nodes.map(NodeFacts.nodeFactsOf))
        }
        yield* index.appendIndex([TraceIndex.encode(entry)])
        yield* index.appendFacts([entry])
      }
      index.remember(id, name)
      yield* removeStale(id, file)
      return true
    })

  const save = (trace: WorkflowTrace.WorkflowTrace): Effect.Effect<void, TraceStore.TraceStoreError> =>
    Effect.asVoid(store(trace, false))

  return { candidates, store, save }
}
