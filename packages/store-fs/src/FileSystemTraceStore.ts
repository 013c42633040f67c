/**
 * A TraceStore on any @effect/platform `FileSystem` (Node, Bun, Deno): one `{workflow}_{traceId}.json` file per
 * finished trace in the guide's JSON format, in a directory private to the user (0700, files 0600).
 *
 * Files are streamed to a temp file in the same directory and renamed over the final name, so a reader never sees a
 * half-written trace and a failed save leaves nothing behind. Files are decoded, never trusted: `get` reports a
 * corrupt file as `Corrupt`, naming the file and the field; `list` skips foreign and corrupt files with a warning.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as TraceJson from "@victor/core/TraceJson"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as internal from "./internal/traceFiles.ts"

/** Where the store keeps its files. */
export interface Options {
  /** The trace directory; created (with its parents, mode 0700) on the first save. */
  readonly directory: string
}

/** How many trace files `list` reads at the same time. */
const listConcurrency = 4

/** A file system trace store over the `FileSystem` and `Path` services. */
export const make = (
  options: Options
): Effect.Effect<TraceStore.TraceStore["Type"], never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const directory = options.directory

    /** The directory's entries; a directory that does not exist yet is empty. */
    const readNames: Effect.Effect<ReadonlyArray<string>, TraceStore.TraceStoreError> = fs.readDirectory(directory)
      .pipe(
        Effect.catchIf(internal.isNotFound, () => Effect.succeed<ReadonlyArray<string>>([])),
        Effect.mapError(internal.unavailable("list traces in", directory))
      )

    const ensureDirectory = Effect.gen(function*() {
      if (yield* fs.exists(directory)) return
      yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 })
      // The mode given to mkdir is filtered by the umask; set it explicitly.
      yield* fs.chmod(directory, 0o700)
    }).pipe(Effect.mapError(internal.unavailable("create trace directory", directory)))

    /** A file's parsed JSON, or none when it no longer exists (removed or replaced since the listing). */
    const readJson = (file: string): Effect.Effect<Option.Option<unknown>, TraceStore.TraceStoreError> =>
      fs.readFileString(file).pipe(
        Effect.map(Option.some),
        Effect.catchIf(internal.isNotFound, () => Effect.succeed(Option.none<string>())),
        Effect.mapError(internal.unavailable("read trace", file)),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeed(Option.none()),
          onSome: (text) => Effect.map(internal.parseJson(file, text), Option.some)
        }))
      )

    const decode = (
      file: string,
      json: unknown
    ): Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError> =>
      Effect.mapError(WorkflowTrace.decodeUnknown(json), (error) => internal.notATrace(file, error))

    /**
     * The parsed files that may hold this id: named `*_{id}.json` and not declaring another id (a file of id `a_b`
     * is also named `*_b.json`). Problems with files that might be this trace are returned, not raised, so that a
     * readable copy still wins.
     */
    const candidates = (id: string) =>
      Effect.gen(function*() {
        const found: Array<{ readonly file: string; readonly json: unknown }> = []
        const problems: Array<TraceStore.TraceStoreError> = []
        for (const name of yield* readNames) {
          if (!internal.mayHoldId(name, id)) continue
          const file = path.join(directory, name)
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

    /** Streams the trace's JSON into a fresh temp file, then renames it over the final name; no partial file stays. */
    const writeAtomically = (trace: WorkflowTrace.WorkflowTrace, file: string, temp: string) => {
      const cannotWrite = internal.unavailable("write trace to", file, trace.traceId)
      const unencodable = (cause: unknown) =>
        internal.corrupt(
          file,
          `cannot be written: the trace holds a value JSON cannot represent (${
            cause instanceof Error ? cause.message : String(cause)
          })`,
          trace.traceId
        )
      const streamToTemp = Effect.scoped(Effect.gen(function*() {
        const handle = yield* Effect.mapError(fs.open(temp, { flag: "wx", mode: 0o600 }), cannotWrite)
        const batches = TraceJson.bytes(trace)[Symbol.iterator]()
        while (true) {
          const next = yield* Effect.try({ try: () => batches.next(), catch: unencodable })
          if (next.done === true) break
          yield* Effect.mapError(handle.writeAll(next.value), cannotWrite)
        }
        // Flushed before the rename, so that the final name never points at data still in flight.
        yield* Effect.mapError(handle.sync, cannotWrite)
      }))
      return Effect.gen(function*() {
        yield* streamToTemp
        // The mode given to open is filtered by the umask; set it before the file gets its final name.
        yield* Effect.mapError(fs.chmod(temp, 0o600), cannotWrite)
        yield* Effect.mapError(fs.rename(temp, file), cannotWrite)
      }).pipe(Effect.onError(() => Effect.ignore(fs.remove(temp))))
    }

    /** Removes other files holding this id (the same trace saved earlier under another workflow name). */
    const removeStale = (id: string, keep: string) =>
      Effect.gen(function*() {
        const { found } = yield* candidates(id)
        for (const { file, json } of found) {
          if (file === keep || internal.declaredTraceId(json) !== id) continue
          yield* fs.remove(file).pipe(
            Effect.catchIf(internal.isNotFound, () => Effect.void),
            Effect.mapError(internal.unavailable("remove old copy of trace", file, id))
          )
        }
      })

    const save = (trace: WorkflowTrace.WorkflowTrace): Effect.Effect<void, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(trace.traceId)
        const name = internal.fileName(trace.workflowName, id)
        const file = path.join(directory, name)
        yield* ensureDirectory
        yield* writeAtomically(trace, file, path.join(directory, internal.tempFileName(name)))
        yield* removeStale(id, file)
      })

    const get = (traceId: string): Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(traceId)
        const { found, problems } = yield* candidates(id)
        for (const { file, json } of found) {
          const decoded = yield* Effect.either(decode(file, json))
          if (decoded._tag === "Right") return decoded.right
          // A file declaring this id that does not decode is this trace, broken; one without an id might be.
          if (internal.declaredTraceId(json) === id) return yield* Effect.fail(decoded.left)
          problems.push(decoded.left)
        }
        return yield* Effect.fail(problems[0] ?? TraceStore.notFound(id))
      })

    // A trace in a file not named after its id could be listed but never fetched, so it is skipped like a foreign file.
    const summaryIfNamedRight = (file: string, name: string, trace: WorkflowTrace.WorkflowTrace) =>
      name.endsWith(`_${trace.traceId}.json`)
        ? Effect.succeed(Option.some(WorkflowTrace.summarize(trace)))
        : Effect.as(
          Effect.logWarning(
            `skipping ${file}: it holds trace ${trace.traceId} but is not named *_${trace.traceId}.json`
          ),
          Option.none<WorkflowTrace.TraceSummary>()
        )

    const summaryOf = (name: string): Effect.Effect<Option.Option<WorkflowTrace.TraceSummary>> => {
      const file = path.join(directory, name)
      return readJson(file).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeed(Option.none<WorkflowTrace.TraceSummary>()),
          onSome: (json) => Effect.flatMap(decode(file, json), (trace) => summaryIfNamedRight(file, name, trace))
        })),
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning(`skipping ${file}: ${error.description}`), Option.none())
        )
      )
    }

    const list = (query?: TraceStore.TraceQuery) =>
      Effect.gen(function*() {
        const names = (yield* readNames).filter(internal.isTraceFileName)
        const summaries = yield* Effect.forEach(names, summaryOf, { concurrency: listConcurrency })
        return TraceStore.applyQuery(summaries.flatMap(Option.toArray), query)
      })

    const remove = (traceId: string): Effect.Effect<void, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(traceId)
        const { found, problems } = yield* candidates(id)
        let removed = false
        for (const { file, json } of found) {
          if (internal.declaredTraceId(json) !== id) {
            problems.push(internal.corrupt(file, "is not a valid trace: trace_id: is missing", id))
            continue
          }
          yield* fs.remove(file).pipe(
            Effect.catchIf(internal.isNotFound, () => Effect.void),
            Effect.mapError(internal.unavailable("remove trace", file, id))
          )
          removed = true
        }
        if (!removed) return yield* Effect.fail(problems[0] ?? TraceStore.notFound(id))
      })

    return TraceStore.TraceStore.of({ save, get, list, remove })
  })

/** The file system trace store as a layer; needs `FileSystem` and `Path` (e.g. `NodeContext.layer`). */
export const layer = (options: Options): Layer.Layer<TraceStore.TraceStore, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(TraceStore.TraceStore, make(options))
