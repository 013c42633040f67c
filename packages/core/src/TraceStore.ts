/**
 * Where traces live: the journal of a running trace (`begin`, then `append` as things happen, then `finish`), finished
 * traces (save, get by id, list history with filters, remove, prune), recovery of journals whose run died, and the
 * blobs large payloads are kept in. `layerMemory` is the reference implementation and the test double;
 * `@victor/store-fs` keeps traces on disk.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Journal from "./Journal.ts"
import * as Json from "./Json.ts"
import * as TraceId from "./TraceId.ts"
import { summarize, type TraceStatus, type TraceSummary, type WorkflowTrace } from "./WorkflowTrace.ts"

/** What history statistics need of one node record (see `listNodeFacts`). */
export interface NodeFacts {
  readonly nodeId: string
  /** `metadata.iteration` when the record has a positive whole one, else null. */
  readonly iteration: number | null
  readonly timestamp: number
  readonly durationSeconds: number
  readonly success: boolean
  readonly error: string | null
}

/** A stored trace's summary with the facts of its node records, in order. */
export interface TraceFacts extends TraceSummary {
  readonly nodes: ReadonlyArray<NodeFacts>
}

/** The facts of one node record. */
export const nodeFactsOf = (node: WorkflowTrace["nodes"][number]): NodeFacts => {
  const iteration = node.metadata["iteration"]
  return {
    nodeId: node.nodeId,
    iteration: typeof iteration === "number" && Number.isInteger(iteration) && iteration > 0 ? iteration : null,
    timestamp: node.timestamp,
    durationSeconds: node.durationSeconds,
    success: node.success,
    error: node.error
  }
}

/** The summary and node facts of a trace. */
export const factsOf = (trace: WorkflowTrace): TraceFacts => ({
  ...summarize(trace),
  nodes: trace.nodes.map(nodeFactsOf)
})

/**
 * Why a store operation failed. `Insecure`: the store refuses what it cannot trust (a symbolic link where it expects
 * its own file or directory, a directory that belongs to another user).
 */
export const TraceStoreErrorReason = Schema.Literal("NotFound", "InvalidId", "Corrupt", "Unavailable", "Insecure")

/** A store operation failed; `path` names the file or directory when there is one. */
export class TraceStoreError extends Schema.TaggedError<TraceStoreError>()("TraceStoreError", {
  reason: TraceStoreErrorReason,
  traceId: Schema.optional(Schema.String),
  path: Schema.optional(Schema.String),
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/** Which traces to list; all filters are optional and combine. */
export interface TraceQuery {
  /** Only traces of this workflow. */
  readonly workflowName?: string
  /** Only traces in this state. */
  readonly status?: TraceStatus
  /** Only traces started at or after this unix time (seconds). */
  readonly since?: number
  /** At most this many, the most recent ones. */
  readonly limit?: number
}

/** The journal of one running trace, as a store hands it to the tracer. */
export interface TraceJournal {
  readonly traceId: string
  /** Appends entries in order and flushes them, so a crash after it returns loses none of them. */
  readonly append: (entries: ReadonlyArray<Journal.JournalEntry>) => Effect.Effect<void, TraceStoreError>
  /** Stores the finished trace in place of the journal (the compaction), then drops the journal. */
  readonly finish: (trace: WorkflowTrace) => Effect.Effect<void, TraceStoreError>
  /** Lets go of the journal without a final trace: the next `recover` turns it into an `incomplete` trace. */
  readonly abandon: Effect.Effect<void>
  /**
   * False when the store reads the running trace through the `LiveTrace` given to `begin` and wants no entries
   * appended (an in-process store); the tracer then writes nothing until `finish`. Absent means true.
   */
  readonly wantsEntries?: boolean
}

/** A running trace as its tracer sees it now, for a store in the same process (see `TraceJournal.wantsEntries`). */
export interface LiveTrace {
  /** The trace so far; nodes still open are included, marked unfinished (and failed when `incomplete`). */
  readonly snapshot: (status: "running" | "incomplete") => WorkflowTrace
}

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

/** The store contract. History is ordered oldest first, like the guide's `get_trace_history()[-10:]`. */
export class TraceStore extends Context.Tag("@victor/core/TraceStore")<
  TraceStore,
  {
    /**
     * Starts the journal of a running trace. Until `finish`, the trace is listed with status `running`; when its
     * process dies, the next `recover` (which `list` and `get` run first) stores it as `incomplete`.
     */
    readonly begin: (header: Journal.JournalHeader, live?: LiveTrace) => Effect.Effect<TraceJournal, TraceStoreError>
    /** Turns the journals of runs that are gone into `incomplete` traces; returns their ids. */
    readonly recover: Effect.Effect<ReadonlyArray<string>, TraceStoreError>
    /** Removes what the options select, and blobs no trace refers to any more. */
    readonly prune: (options: PruneOptions) => Effect.Effect<PruneResult, TraceStoreError>
    /** The JSON text of a blob (a large payload kept apart from its trace), by its sha256. */
    readonly readBlob: (sha256: string) => Effect.Effect<string, TraceStoreError>
    /** Stores a trace, replacing one with the same id. */
    readonly save: (trace: WorkflowTrace) => Effect.Effect<void, TraceStoreError>
    /** The trace with this id, or a `NotFound` error. */
    readonly get: (traceId: string) => Effect.Effect<WorkflowTrace, TraceStoreError>
    /** Summaries of the stored traces matching the query, oldest first. */
    readonly list: (query?: TraceQuery) => Effect.Effect<ReadonlyArray<TraceSummary>, TraceStoreError>
    /**
     * What `list` gives, with the facts of every node record (`factsOf`): statistics over history without loading
     * every trace (a store may keep the facts in its index).
     */
    readonly listNodeFacts: (query?: TraceQuery) => Effect.Effect<ReadonlyArray<TraceFacts>, TraceStoreError>
    /** Removes a trace, or fails with `NotFound`. */
    readonly remove: (traceId: string) => Effect.Effect<void, TraceStoreError>
  }
>() {}

/** Fails with `InvalidId` unless the id is safe to use as a key or file name. */
export const validateId = (traceId: string): Effect.Effect<string, TraceStoreError> =>
  TraceId.isTraceId(traceId)
    ? Effect.succeed(traceId)
    : Effect.fail(
      new TraceStoreError({
        reason: "InvalidId",
        traceId,
        description: `invalid trace id ${JSON.stringify(traceId)}: use letters, digits, '-' or '_'`
      })
    )

/** A `NotFound` error for an id. */
export const notFound = (traceId: string): TraceStoreError =>
  new TraceStoreError({ reason: "NotFound", traceId, description: `no trace with id ${traceId}` })

/** Applies a query to summaries (oldest first), as every store implementation must. */
export const applyQuery = <S extends TraceSummary>(
  summaries: ReadonlyArray<S>,
  query: TraceQuery = {}
): ReadonlyArray<S> => {
  const matching = summaries
    .filter((s) =>
      (query.workflowName === undefined || s.workflowName === query.workflowName) &&
      (query.status === undefined || s.status === query.status) &&
      (query.since === undefined || s.startTime >= query.since)
    )
    .sort((a, b) => a.startTime - b.startTime || compareStrings(a.traceId, b.traceId))
  return query.limit === undefined ? matching : matching.slice(Math.max(0, matching.length - query.limit))
}

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Whether a string is a sha256 in hex, the only thing a blob name may be. */
export const isSha256 = (value: string): boolean => /^[0-9a-f]{64}$/.test(value)

/** Fails with `InvalidId` unless the blob name is a sha256. */
export const validateBlobName = (sha256: string): Effect.Effect<string, TraceStoreError> =>
  isSha256(sha256)
    ? Effect.succeed(sha256)
    : Effect.fail(
      new TraceStoreError({ reason: "InvalidId", description: `invalid blob name ${JSON.stringify(sha256)}` })
    )

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

interface MemoryJournal {
  readonly header: Journal.JournalHeader
  readonly entries: Array<Journal.JournalEntry>
  // The tracer's own view of the trace, when it gave one: then nothing is copied while the run goes on.
  readonly live: LiveTrace | undefined
  abandoned: boolean
}

// A running trace from its journal: the tracer's live view when there is one, else rebuilt from the entries.
const fromJournal = (journal: MemoryJournal, status: "running" | "incomplete"): WorkflowTrace =>
  journal.live === undefined
    ? Journal.rebuild(journal.header, journal.entries, status)
    : journal.live.snapshot(status)

/** An in-memory store: the reference implementation, and the store of tests and `layerNoop` setups. */
export const makeMemory: Effect.Effect<TraceStore["Type"]> = Effect.sync(() => {
  const traces = new Map<string, WorkflowTrace>()
  const journals = new Map<string, MemoryJournal>()
  const blobs = new Map<string, string>()
  // A trace's JSON text; through `Json.stringify`, as a trace held in memory may keep values too deep for
  // `JSON.stringify` (see `Json.MAX_DEPTH`).
  const jsonOf = (trace: WorkflowTrace) => Json.stringify(trace)
  const sizeOf = (trace: WorkflowTrace) => jsonOf(trace).length

  const recover = Effect.sync(() => {
    const recovered: Array<string> = []
    for (const [id, journal] of journals) {
      if (!journal.abandoned) continue
      journals.delete(id)
      if (!traces.has(id)) traces.set(id, fromJournal(journal, "incomplete"))
      recovered.push(id)
    }
    return recovered as ReadonlyArray<string>
  })

  const running = () =>
    Array.from(journals.values(), (journal) => fromJournal(journal, "running"))

  const begin = (header: Journal.JournalHeader, live?: LiveTrace) =>
    Effect.map(validateId(header.traceId), (id): TraceJournal => {
      const journal: MemoryJournal = { header, entries: [], live, abandoned: false }
      journals.set(id, journal)
      return {
        traceId: id,
        wantsEntries: live === undefined,
        append: (entries) =>
          Effect.sync(() => {
            for (const entry of entries) journal.entries.push(entry)
          }),
        finish: (trace) =>
          Effect.sync(() => {
            traces.set(id, trace)
            if (journals.get(id) === journal) journals.delete(id)
          }),
        abandon: Effect.sync(() => {
          journal.abandoned = true
        })
      }
    })

  const prune = (options: PruneOptions) =>
    Effect.zipRight(
      recover,
      Effect.sync((): PruneResult => {
        const plan = planPrune(
          Array.from(traces.values(), (trace) => ({ summary: summarize(trace), bytes: sizeOf(trace) })),
          options
        )
        const dryRun = options.dryRun === true
        if (!dryRun) for (const t of plan) traces.delete(t.summary.traceId)
        // Blob references are found in the JSON text of what remains.
        const texts = dryRun ? [] : [...Array.from(traces.values(), jsonOf), ...running().map(jsonOf)]
        let blobsRemoved = 0
        let freedBytes = plan.reduce((sum, t) => sum + t.bytes, 0)
        if (!dryRun) {
          for (const [hash, text] of blobs) {
            if (texts.some((t) => t.includes(hash))) continue
            blobs.delete(hash)
            blobsRemoved++
            freedBytes += text.length
          }
        }
        return { removed: plan.map((t) => t.summary), freedBytes, blobsRemoved, dryRun }
      })
    )

  return TraceStore.of({
    begin,
    recover,
    prune,
    readBlob: (sha256) =>
      Effect.flatMap(validateBlobName(sha256), (hash) => {
        const text = blobs.get(hash)
        return text === undefined
          ? Effect.fail(new TraceStoreError({ reason: "NotFound", description: `no blob ${hash}` }))
          : Effect.succeed(text)
      }),
    save: (trace) => Effect.map(validateId(trace.traceId), (id) => void traces.set(id, trace)),
    get: (traceId) =>
      Effect.flatMap(validateId(traceId), (id) =>
        Effect.flatMap(recover, () => {
          const trace = traces.get(id)
          if (trace !== undefined) return Effect.succeed(trace)
          const journal = journals.get(id)
          return journal === undefined
            ? Effect.fail(notFound(id))
            : Effect.succeed(fromJournal(journal, "running"))
        })),
    list: (query) =>
      Effect.zipRight(
        recover,
        Effect.sync(() =>
          applyQuery(
            [...Array.from(traces.values(), summarize), ...running().filter((t) => !traces.has(t.traceId)).map(summarize)],
            query
          )
        )
      ),
    listNodeFacts: (query) =>
      Effect.zipRight(
        recover,
        Effect.sync(() =>
          applyQuery(
            [...Array.from(traces.values(), factsOf), ...running().filter((t) => !traces.has(t.traceId)).map(factsOf)],
            query
          )
        )
      ),
    remove: (traceId) =>
      Effect.flatMap(validateId(traceId), (id) => traces.delete(id) ? Effect.void : Effect.fail(notFound(id)))
  })
})

/** A fresh in-memory store. */
export const layerMemory: Layer.Layer<TraceStore> = Layer.effect(TraceStore, makeMemory)
