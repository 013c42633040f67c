/**
 * Pruning a store: which traces go (`planPrune`, the one rule every store follows) and a store capability that
 * prunes in place, freeing the blobs no trace refers to any more. Without the capability `prune` lists the store,
 * loads each trace to weigh it, and removes the planned ones one by one.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Json from "./Json.ts"
import { compareStrings, TraceStore, type TraceStoreError } from "./TraceStore.ts"
import type { TraceSummary } from "./WorkflowTrace.ts"

/** What `prune` removes; every rule is optional and a trace matching any of them goes. Running traces always stay. */
export interface PruneOptions {
  /** Remove traces started before this unix time (seconds). */
  readonly startedBefore?: number
  /** Keep only the newest N traces. */
  readonly keepLast?: number
  /** Remove the oldest traces until the store holds at most this many bytes of traces. */
  readonly maxBytes?: number
  /** Only say what would be removed. */
  readonly dryRun?: boolean
}

/** What `prune` removed (or, with `dryRun`, would remove). */
export interface PruneResult {
  readonly removed: ReadonlyArray<TraceSummary>
  /** Bytes of trace files (and blobs) freed. */
  readonly freedBytes: number
  /** Blobs no longer referenced by any trace, removed. */
  readonly blobsRemoved: number
  readonly dryRun: boolean
}

/** A trace the store holds, with the bytes it takes (for `prune --max-size`). */
export interface Sized {
  readonly summary: TraceSummary
  readonly bytes: number
}

/** Which traces a prune removes (running traces never), oldest first; every store implementation uses it. */
export const planPrune = (traces: ReadonlyArray<Sized>, options: PruneOptions): ReadonlyArray<Sized> => {
  const candidates = traces
    .filter((t) => t.summary.status !== "running")
    .sort((a, b) => a.summary.startTime - b.summary.startTime || compareStrings(a.summary.traceId, b.summary.traceId))
  const remove = new Set<Sized>()
  if (options.startedBefore !== undefined) {
    for (const t of candidates) if (t.summary.startTime < options.startedBefore) remove.add(t)
  }
  if (options.keepLast !== undefined) {
    for (const t of candidates.slice(0, Math.max(0, candidates.length - options.keepLast))) remove.add(t)
  }
  if (options.maxBytes !== undefined) {
    let total = traces.reduce((sum, t) => sum + t.bytes, 0)
    for (const t of remove) total -= t.bytes
    for (const t of candidates) {
      if (total <= options.maxBytes) break
      if (remove.has(t)) continue
      remove.add(t)
      total -= t.bytes
    }
  }
  return candidates.filter((t) => remove.has(t))
}

/** The pruning capability of a store. */
export class TracePruner extends Context.Tag("@victor/core/TracePruner")<
  TracePruner,
  {
    /** Removes what the options select, and blobs no trace refers to any more. */
    readonly prune: (options: PruneOptions) => Effect.Effect<PruneResult, TraceStoreError>
  }
>() {}

/** Prunes the store: in place when it can, else by listing, weighing (JSON size) and removing traces. */
export const prune = (options: PruneOptions): Effect.Effect<PruneResult, TraceStoreError, TraceStore> =>
  Effect.flatMap(Effect.serviceOption(TracePruner), (pruner) =>
    Option.isSome(pruner) ? pruner.value.prune(options) : pruneByListing(options))

const pruneByListing = (options: PruneOptions) =>
  Effect.gen(function*() {
    const store = yield* TraceStore
    const weigh = (summary: TraceSummary) =>
      Effect.map(store.get(summary.traceId), (trace): Sized => ({ summary, bytes: Json.stringify(trace).length }))
    const summaries = yield* store.list()
    // A size rule needs every trace's weight; the other rules only the weight of what they remove.
    const plan = options.maxBytes === undefined
      ? yield* Effect.forEach(planPrune(summaries.map((summary) => ({ summary, bytes: 0 })), options), (t) =>
        weigh(t.summary))
      : planPrune(yield* Effect.forEach(summaries, weigh), options)
    const dryRun = options.dryRun === true
    if (!dryRun) {
      yield* Effect.forEach(
        plan,
        (t) => Effect.catchIf(store.remove(t.summary.traceId), (error) => error.reason === "NotFound", () => Effect.void),
        { discard: true }
      )
    }
    return {
      removed: plan.map((t) => t.summary),
      freedBytes: plan.reduce((sum, t) => sum + t.bytes, 0),
      blobsRemoved: 0,
      dryRun
    }
  })
