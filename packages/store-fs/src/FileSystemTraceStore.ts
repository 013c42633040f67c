/**
 * A TraceStore, with every optional capability (journals, blobs, node facts, pruning; see `StoreServices`), on any
 * @effect/platform `FileSystem` (Node, Bun, Deno), in a directory private to the user (0700,
 * files 0600):
 * - `{workflow}_{traceId}.jsonl`: the journal of a running trace, one JSON line per entry, appended and written
 *   through to the OS as things happen (it survives `kill -9`), its mtime touched by a heartbeat while the run lives;
 * - `{workflow}_{traceId}.json`: a finished trace in the guide's JSON format, streamed to a temp file and renamed, so
 *   a reader never sees half a trace; the journal is removed once it is there;
 * - `.index.jsonl`: summaries for fast listing, and `.facts.jsonl`: node facts for statistics (see
 *   `internal/traceIndex.ts`), caches rebuilt from the files; `get` reads the file the index names for an id, without
 *   listing the directory;
 * - `blobs/<sha256>`: large payloads, stored once (see `@victor/core/Payload`); the layers also provide a
 *   `BlobSink`, through which a tool streams a large output into them while it runs (see `@victor/core/BlobSink`).
 *
 * Recovery (`internal/recovery.ts`): `list`, `listNodeFacts`, `prune` and `get` (of a trace the index does not name)
 * first turn journals whose run is gone into `incomplete` traces, and put in place a trace whose save was cut short
 * after its temp file was written. A run is gone when its owner (pid and host, in the journal's header or the temp
 * file's name) is a process of this host that no longer exists, or, when that cannot be known, when its heartbeat is
 * older than `staleAfterSeconds` (a temp file: untouched for `tempGraceSeconds`). A recovering process claims a
 * journal by renaming it, and writes the trace with a hard link that never replaces a file, so a run that finishes
 * after all keeps its real trace.
 *
 * Files are decoded, never trusted: `get` reports a corrupt file as `Corrupt`, naming the file and the field. What
 * can never be used — a `*.json` file that is not JSON or not a trace, an empty journal or one without a header, an
 * unfinished temp file whose writer is gone — is moved by the readers to `quarantine/` with a `{name}.reason` file
 * (`internal/quarantine.ts`), warned about once, and removed by `prune`, which also reports it (`straysOf`); `get` of
 * a quarantined trace fails with `Corrupt`, naming the quarantined file and the reason.
 *
 * Links are never trusted either: every file of the store is stat'ed, read, opened and chmod'ed through
 * `NoFollowFileSystem` (the runtime's when a layer provides it, else a portable check before each step), so nothing
 * is read or written through a symbolic link and nothing outside the directory is touched. A link where a reader
 * expects a trace file or a journal is skipped with a warning (`get` of it fails with `Insecure`); one in place of the
 * index, the facts file, the blob directory, a blob, or a trace or journal being written is replaced by a real file
 * (a rename or an unlink replaces the link itself, never what it points at).
 *
 * The directory itself must be a real directory, not a link: a link to it is refused with the path to use instead
 * (following it once and checking the target would still trust whoever could write where the link lives). With
 * `userId`, a directory of another user is refused, root included (its owner could swap what is in it under the
 * store), and one of ours open to others is made 0700 (with a warning when listing; writes log nothing, since a run's
 * stdout may be machine output). Parent directories are not checked: whoever can write to them can move the store's
 * directory anyway.
 *
 * The parts, one concern each, under `internal/`: `storeDirectory` (the directory's checks), `blobs`,
 * `finishedTraces` (atomic writes, lookup by id), `journals` (with their heartbeats), `storeIndex` (the index and
 * facts caches), `queries` (get, list, node facts, remove), `recovery`, `quarantine` and `prune`; this module wires
 * them. A journal's heartbeat is a fiber in the store's scope: `layer` ends it, and abandons the journals still open,
 * when the layer's scope closes.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as BlobSink from "@victor/core/BlobSink"
import type * as Journal from "@victor/core/Journal"
import * as Payload from "@victor/core/Payload"
import * as StoreServices from "@victor/core/StoreServices"
import * as TracePruning from "@victor/core/TracePruning"
import * as TraceStore from "@victor/core/TraceStore"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Blobs from "./internal/blobs.ts"
import * as FinishedTraces from "./internal/finishedTraces.ts"
import * as Journals from "./internal/journals.ts"
import * as Prune from "./internal/prune.ts"
import * as Quarantine from "./internal/quarantine.ts"
import * as Queries from "./internal/queries.ts"
import * as Recovery from "./internal/recovery.ts"
import * as StoreDirectory from "./internal/storeDirectory.ts"
import * as Files from "./internal/storeFiles.ts"
import * as StoreIndex from "./internal/storeIndex.ts"
import * as internal from "./internal/traceFiles.ts"
import * as NoFollowFileSystem from "./NoFollowFileSystem.ts"

/** Where the store keeps its files and how it tells live runs from dead ones. */
export interface Options {
  /** The trace directory; created (with its parents, mode 0700) on the first write. */
  readonly directory: string
  /** This process, stamped into the journals it writes so that others can tell whether it still runs. */
  readonly owner?: Journal.JournalOwner
  /** Whether a process of this host runs (Node: `process.kill(pid, 0)`); without it, only heartbeats count. */
  readonly isProcessAlive?: (pid: number) => boolean
  /** How often a running trace's journal is touched; default 2 s. */
  readonly heartbeatSeconds?: number
  /** A journal not touched for this long, whose owner cannot be checked, belongs to a dead run; default 30 s. */
  readonly staleAfterSeconds?: number
  /** A temp file not touched for this long, whose writer cannot be checked, belongs to a dead run; default 600 s. */
  readonly tempGraceSeconds?: number
  /** How large payloads are kept (blobs); default `full` with a 64 KiB inline budget. */
  readonly capture?: Payload.CaptureOptions
  /** While a run is live, unreferenced blobs younger than this are kept by prune (it may be about to use them). */
  readonly blobGraceSeconds?: number
  /**
   * The user this process runs as (Node: `process.getuid()`): an existing directory of another user is refused, and
   * one of ours that others may use is made private (0700). Without it, owner and mode are left as they are.
   */
  readonly userId?: number
}

/** The journals this process is writing, by path (across store instances): never recovered from under it. */
const ownJournals = globalValue("@victor/store-fs/ownJournals", () => new Set<string>())

/**
 * A file system trace store over the `FileSystem` and `Path` services, and `NoFollowFileSystem` when a layer provides
 * it (else the portable one over `FileSystem`). Without a scope: a journal's heartbeat ends with its `finish` or
 * `abandon` only, where `layer` also ends it with the layer.
 */
export const make = (
  options: Options
): Effect.Effect<StoreServices.CompleteStore, never, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(Scope.make(), (scope) => Effect.map(makeIn(options, scope), ({ store }) => store))

/**
 * The store, its journals living in `scope` (their heartbeats stop, and those still open are abandoned, when it
 * closes), and how to check its directory as a write would.
 */
const makeIn = (
  options: Options,
  scope: Scope.Scope
): Effect.Effect<
  {
    readonly store: StoreServices.CompleteStore
    readonly prepare: Effect.Effect<boolean, TraceStore.TraceStoreError>
    readonly sink: BlobSink.BlobSink["Type"]
  },
  never,
  FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    // The runtime's own when a layer provides it (atomic); else checks before each step.
    const nofollow = Option.getOrElse(
      yield* Effect.serviceOption(NoFollowFileSystem.NoFollowFileSystem),
      () => NoFollowFileSystem.make(fs)
    )
    const files = Files.make(fs, path, nofollow, options.directory)
    /** A temp file's name, stamped with this process (so that others can tell when its writer died). */
    const tempName = (name: string) => internal.tempFileName(name, options.owner)
    const capturer = Payload.make(options.capture)
    const quarantine = Quarantine.make(files)
    const directory = StoreDirectory.make(files, options.userId)
    const blobs = Blobs.make(files, tempName)
    const index = StoreIndex.make(files, quarantine, tempName)
    const traces = FinishedTraces.make({ files, directory, blobs, index, capturer, tempName })
    const recovery = Recovery.make({
      files,
      quarantine,
      owner: options.owner,
      isProcessAlive: options.isProcessAlive,
      staleAfterMs: (options.staleAfterSeconds ?? 30) * 1000,
      tempGraceMs: (options.tempGraceSeconds ?? 600) * 1000,
      ownJournals,
      storeTrace: (trace) => traces.store(trace, true)
    })
    const journals = yield* Journals.make({
      files,
      directory,
      capturer,
      writeBlobs: blobs.write,
      save: traces.save,
      owner: options.owner,
      heartbeat: Duration.seconds(options.heartbeatSeconds ?? 2),
      ownJournals,
      scope
    })

    const sweepJournals = Effect.flatMap(directory.readNames, recovery.sweep)

    /**
     * The journals swept, and the directory's trace files' index entries: one listing serves both (10,000 names take
     * a while to list), listed again only when the sweep recovered traces into new files.
     */
    const sweepAndIndex = Effect.gen(function*() {
      const listing = yield* directory.readNames
      const { running, recovered } = yield* recovery.sweep(listing)
      const entries = yield* index.entriesIn(recovered.length === 0 ? listing : yield* directory.readNames)
      return { running, entries }
    })

    const queries = Queries.make({ files, index, traces, quarantine, sweepJournals, sweepAndIndex })
    const prune = Prune.make({
      files,
      index,
      blobs,
      quarantine,
      recovery,
      sweepAndIndex,
      blobGraceMs: (options.blobGraceSeconds ?? 600) * 1000
    })
    const recover = Effect.map(sweepJournals, (s) => s.recovered as ReadonlyArray<string>)

    return {
      store: {
        begin: journals.begin,
        recover,
        prune,
        readBlob: blobs.read,
        save: traces.save,
        ...queries
      },
      prepare: directory.ensure,
      // Streamed blobs are kept as the store keeps payloads: none with `preview` or `none` capture.
      sink: { capture: options.capture ?? {}, open: Effect.zipRight(directory.ensure, blobs.open) }
    }
  })

/** The services of a store and its blob sink. */
const servicesOf = (
  made: { readonly store: StoreServices.CompleteStore; readonly sink: BlobSink.BlobSink["Type"] }
): Context.Context<StoreServices.StoreServices | BlobSink.BlobSink> =>
  Context.add(StoreServices.context(made.store), BlobSink.BlobSink, made.sink)

/**
 * The file system trace store as a layer; needs `FileSystem` and `Path` (e.g. `NodeContext.layer`). When the layer's
 * scope closes, the journals of traces never ended are marked abandoned (the next reader stores them as incomplete at
 * once) and their heartbeats stop, so that a program that forgot them still exits.
 */
export const layer = (
  options: Options
): Layer.Layer<StoreServices.StoreServices | BlobSink.BlobSink, never, FileSystem.FileSystem | Path.Path> =>
  Layer.scopedContext(Effect.flatMap(Effect.scope, (scope) => Effect.map(makeIn(options, scope), servicesOf)))

/**
 * The store as a layer that checks its directory first, as a write would: created (0700) when missing; a link, a
 * directory of another user (with `userId`) or a path where no directory can be made fails the layer. For a program
 * about to run a workflow: one whose trace could not be stored is better not started.
 */
export const layerPrepared = (
  options: Options
): Layer.Layer<
  StoreServices.StoreServices | BlobSink.BlobSink,
  TraceStore.TraceStoreError,
  FileSystem.FileSystem | Path.Path
> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      const made = yield* makeIn(options, yield* Effect.scope)
      yield* made.prepare
      return servicesOf(made)
    })
  )

/** A file `prune` removed (or would remove) because it is stray: quarantined, or an unfinished write of a dead run. */
export interface Stray {
  readonly file: string
  /** Why, as it follows the file's name: "is not valid JSON: ...", "is an empty journal ...". */
  readonly reason: string
  readonly bytes: number
}

/** What `prune` of this store gives: the contract's result, and the stray files (counted in `freedBytes`). */
export interface PruneResult extends TracePruning.PruneResult {
  readonly strays: ReadonlyArray<Stray>
}

/** The stray files a prune result names: those of a file system store's, none for another store's. */
export const straysOf = (result: TracePruning.PruneResult): ReadonlyArray<Stray> => {
  const strays = (result as Partial<PruneResult>).strays
  return Array.isArray(strays) ? strays : []
}
