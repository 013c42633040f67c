/**
 * The blobs of the file system store: large payloads (see `@victor/core/Payload`) kept once each as
 * `blobs/<sha256>` (0600), content-addressed so that traces share them. A blob is written to a temp file and renamed
 * into place; one already there is only touched, so that a prune running at the time sees it as fresh. Read back by
 * hash, never through a link, neither in place of a blob nor of the blob directory. A blob streamed while a tool runs
 * (`open`, the store's `BlobSink`) is written to a temp file as it comes and renamed once its hash is known; dropped,
 * the temp file goes with it (and a dead run's is a stray that prune removes).
 */
import type * as BlobSink from "@victor/core/BlobSink"
import * as Payload from "@victor/core/Payload"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as TraceStore from "@victor/core/TraceStore"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type * as Files from "./storeFiles.ts"
import * as internal from "./traceFiles.ts"

/** The blob directory's name in the store. */
export const DIRECTORY_NAME = "blobs"

/** The blobs of a store. */
export interface Blobs {
  readonly directory: string
  /** Whether the blob directory is a real directory (to read or list blobs from); a link is refused. */
  readonly state: Effect.Effect<Files.SubdirectoryState>
  /** Writes blobs not there yet, a few at a time, and touches those that are. */
  readonly write: (blobs: ReadonlyArray<Payload.Blob>) => Effect.Effect<void, TraceStore.TraceStoreError>
  /** The JSON text of a blob, by its sha256. */
  readonly read: (sha256: string) => Effect.Effect<string, TraceStore.TraceStoreError>
  /** Starts a blob written as a stream (see `@victor/core/BlobSink`); dropped when the scope closes before commit. */
  readonly open: Effect.Effect<BlobSink.BlobWriter, TraceStore.TraceStoreError, Scope.Scope>
}

/** The blobs of the store the files are of; `tempName`: a temp file's name, stamped with this process. */
export const make = (files: Files.StoreFiles, tempName: (name: string) => string): Blobs => {
  const { fs, nofollow, path } = files
  const directory = path.join(files.directory, DIRECTORY_NAME)

  /**
   * The blob directory, ready for a blob: a link or a file in its place is removed (it is inside the store; what a
   * link points at is left alone) and a real directory made. Silently, as every write.
   */
  const ensureDirectory = files.ensureSubdirectory(directory, "create blob directory")

  const state = files.subdirectoryState(directory)

  /**
   * Whether the blob is there already (the same content, by its name), touched so that a prune running now sees it
   * as fresh. Anything else in its place (a link) is replaced by the rename of the new one.
   */
  const touchExisting = (file: string) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (Option.isNone(yield* files.fileStatOf(file))) return false
      const touched = yield* Effect.either(fs.utimes(file, new Date(now), new Date(now)))
      return touched._tag === "Right"
    })

  const writeOne = (blob: Payload.Blob) =>
    Effect.gen(function*() {
      const file = path.join(directory, blob.sha256)
      yield* ensureDirectory
      if (yield* touchExisting(file)) return
      const temp = path.join(directory, tempName(blob.sha256))
      const cannotWrite = internal.unavailable("write blob", file)
      yield* Effect.gen(function*() {
        yield* Effect.scoped(
          Effect.flatMap(nofollow.open(temp, { flag: "wx", mode: 0o600 }), (handle) => handle.writeAll(blob.bytes))
        )
        yield* fs.rename(temp, file)
      }).pipe(Effect.mapError(cannotWrite), Effect.onError(() => Effect.ignore(fs.remove(temp))))
    })

  const write = (blobs: ReadonlyArray<Payload.Blob>) =>
    Effect.forEach(blobs, writeOne, { discard: true, concurrency: 4 })

  const read = (sha256: string): Effect.Effect<string, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const hash = yield* TraceBlobs.validateBlobName(sha256)
      const file = path.join(directory, hash)
      // A link in place of the directory would lead the read elsewhere (no-follow guards the last component only).
      if ((yield* state) === "untrusted") {
        return yield* internal.untrusted(directory, "is not a real directory (a link?), which the store does not follow", "blob directory")
      }
      const text = yield* files.readText(file, "read blob", "blob")
      if (Option.isNone(text)) {
        return yield* new TraceStore.TraceStoreError({
          reason: "NotFound",
          path: file,
          description: `blob ${file} is missing (removed by hand?); the trace keeps its preview`
        })
      }
      return text.value
    })

  const open: Effect.Effect<BlobSink.BlobWriter, TraceStore.TraceStoreError, Scope.Scope> = Effect.gen(function*() {
    yield* ensureDirectory
    // Named for no blob yet (its hash comes last), stamped with this process like every temp file.
    const temp = path.join(directory, tempName("stream"))
    const cannotWrite = internal.unavailable("write blob", temp)
    let placed = false
    yield* Effect.addFinalizer(() => (placed ? Effect.void : Effect.ignore(fs.remove(temp))))
    // The handle has a scope of its own, closed before the rename (and before the removal above, when dropped).
    const handleScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const handle = yield* nofollow.open(temp, { flag: "wx", mode: 0o600 }).pipe(
      Scope.extend(handleScope),
      Effect.mapError(cannotWrite)
    )
    return {
      write: (bytes) => Effect.mapError(handle.writeAll(bytes), cannotWrite),
      commit: (sha256) =>
        Effect.gen(function*() {
          const hash = yield* TraceBlobs.validateBlobName(sha256)
          yield* Scope.close(handleScope, Exit.void)
          const file = path.join(directory, hash)
          if (yield* touchExisting(file)) return
          yield* Effect.mapError(fs.rename(temp, file), internal.unavailable("write blob", file))
          placed = true
        })
    }
  })

  return { directory, state, write, read, open }
}
