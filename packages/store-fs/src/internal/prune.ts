/**
 * The prune of the file system store: the traces the options select (`TracePruning.planPrune`; running traces always
 * stay), then the blobs no trace that stays and no live journal refers to (while a run is live, those younger than
 * `blobGraceMs` stay too: it may be about to use them), and whatever is stray, whatever the options: the quarantine,
 * and the unfinished blob writes of dead runs. With `dryRun`, only says what would go.
 */
import * as Payload from "@victor/core/Payload"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as TracePruning from "@victor/core/TracePruning"
import * as TraceStore from "@victor/core/TraceStore"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as FileSystemTraceStore from "../FileSystemTraceStore.ts"
import type * as Blobs from "./blobs.ts"
import type * as Quarantine from "./quarantine.ts"
import type * as Recovery from "./recovery.ts"
import * as Files from "./storeFiles.ts"
import type * as StoreIndex from "./storeIndex.ts"
import * as internal from "./traceFiles.ts"
import * as TraceIndex from "./traceIndex.ts"

/** What the prune needs of the store. */
export interface PruneOptions {
  readonly files: Files.StoreFiles
  readonly index: StoreIndex.StoreIndex
  readonly blobs: Blobs.Blobs
  readonly quarantine: Quarantine.Quarantine
  readonly recovery: Recovery.Recovery
  /** The recovery sweep and the index entries of the trace files, from one listing of the directory. */
  readonly sweepAndIndex: Effect.Effect<
    { readonly running: ReadonlyArray<Recovery.Running>; readonly entries: ReadonlyArray<TraceIndex.Entry> },
    TraceStore.TraceStoreError
  >
  /** While a run is live, unreferenced blobs younger than this stay. */
  readonly blobGraceMs: number
}

/** The store's `prune`. */
export const make = (options: PruneOptions) => {
  const { blobs, files, index, quarantine, recovery, sweepAndIndex } = options
  const { directory, fs, path } = files
  const blobDirectory = blobs.directory

  return (pruneOptions: TracePruning.PruneOptions): Effect.Effect<
    FileSystemTraceStore.PruneResult,
    TraceStore.TraceStoreError
  > =>
    Effect.gen(function*() {
      const { entries, running } = yield* sweepAndIndex
      const traced = entries.flatMap((e) => (e.summary === undefined ? [] : [{ entry: e, summary: e.summary }]))
      const plan = TracePruning.planPrune(traced.map((t) => ({ summary: t.summary, bytes: t.entry.size })), pruneOptions)
      const planned = new Set(plan.map((p) => p.summary.traceId))
      const dryRun = pruneOptions.dryRun === true
      let freedBytes = plan.reduce((sum, p) => sum + p.bytes, 0)
      if (!dryRun) {
        for (const t of traced) {
          if (!planned.has(t.summary.traceId)) continue
          const file = path.join(directory, t.entry.file)
          yield* fs.remove(file).pipe(
            Files.ignoreNotFound<void>(undefined),
            Effect.mapError(internal.unavailable("remove trace", file, t.summary.traceId))
          )
        }
        yield* index.appendIndex(
          traced.filter((t) => planned.has(t.summary.traceId)).map((t) => TraceIndex.encodeRemoval(t.entry.file))
        )
      }
      // Blobs nobody refers to any more: not by a trace that stays, not by a live journal.
      const referenced = new Set<string>()
      for (const t of traced) if (!planned.has(t.summary.traceId)) for (const b of t.entry.blobs) referenced.add(b)
      for (const r of running) for (const b of Payload.referencedHashes(r.text)) referenced.add(b)
      // A link in place of the blob directory is not listed (its names would be removed from wherever it points).
      const blobState = yield* blobs.state
      if (blobState === "untrusted") yield* Effect.logWarning(`skipping ${blobDirectory}: it is not a real directory (a link?)`)
      const blobNames = blobState !== "ok" ? [] : yield* fs.readDirectory(blobDirectory).pipe(
        Files.ignoreNotFound<ReadonlyArray<string>>([]),
        Effect.mapError(internal.unavailable("list blobs in", blobDirectory))
      )
      const now = yield* Clock.currentTimeMillis
      let blobsRemoved = 0
      // What is stray goes whatever the rules (it takes room, and holds nothing a trace can use): the quarantine,
      // with what this sweep put there, and the unfinished blob writes of dead runs.
      const strays = [...yield* quarantine.list, ...yield* recovery.orphanedBlobTemps(blobDirectory, blobNames)]
      if (!dryRun) yield* quarantine.remove(strays)
      for (const stray of strays) freedBytes += stray.bytes
      for (const name of blobNames) {
        if (!TraceBlobs.isSha256(name) || referenced.has(name)) continue
        const file = path.join(blobDirectory, name)
        const stat = yield* files.fileStatOf(file)
        if (Option.isNone(stat)) continue
        // A live run may have written a blob it has not referred to yet.
        if (running.length > 0 && now - stat.value.mtime < options.blobGraceMs) continue
        if (!dryRun) {
          yield* fs.remove(file).pipe(Files.ignoreNotFound<void>(undefined), Effect.mapError(internal.unavailable("remove blob", file)))
        }
        blobsRemoved++
        freedBytes += stat.value.size
      }
      return {
        removed: plan.map((p) => p.summary),
        freedBytes,
        blobsRemoved,
        dryRun,
        strays: strays.map(({ bytes, file, reason }) => ({ file, reason, bytes }))
      } satisfies FileSystemTraceStore.PruneResult
    })
}
