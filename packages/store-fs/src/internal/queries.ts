/**
 * What the file system store is asked about its traces, finished and running: `get` (the file the index names for
 * the id first, without listing the directory; else every file that may hold it, then the running journals, then the
 * quarantine, so that a trace set aside is reported with its reason), `list`, `listNodeFacts` (from the facts file
 * where it is up to date), and `remove`. Every one but an indexed `get` runs the recovery sweep first.
 */
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as NodeFacts from "@victor/core/NodeFacts"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as FinishedTraces from "./finishedTraces.ts"
import type * as Quarantine from "./quarantine.ts"
import type * as Recovery from "./recovery.ts"
import * as Files from "./storeFiles.ts"
import type * as StoreIndex from "./storeIndex.ts"
import * as internal from "./traceFiles.ts"
import * as TraceIndex from "./traceIndex.ts"

/** The running traces found by a recovery sweep, with the ids it recovered. */
export interface Swept {
  readonly running: ReadonlyArray<Recovery.Running>
  readonly recovered: ReadonlyArray<string>
}

/** What the queries need of the store. */
export interface QueriesOptions {
  readonly files: Files.StoreFiles
  readonly index: StoreIndex.StoreIndex
  readonly traces: FinishedTraces.FinishedTraces
  readonly quarantine: Quarantine.Quarantine
  /** The recovery sweep over the directory. */
  readonly sweepJournals: Effect.Effect<Swept, TraceStore.TraceStoreError>
  /** The recovery sweep and the index entries of the trace files, from one listing of the directory. */
  readonly sweepAndIndex: Effect.Effect<
    { readonly running: ReadonlyArray<Recovery.Running>; readonly entries: ReadonlyArray<TraceIndex.Entry> },
    TraceStore.TraceStoreError
  >
}

/** The store's `get`, `list`, `listNodeFacts` and `remove`. */
export const make = (
  options: QueriesOptions
): Pick<TraceStore.TraceStore["Type"], "get" | "list" | "remove"> & NodeFacts.NodeFactsIndex["Type"] => {
  const { files, index, quarantine, sweepAndIndex, sweepJournals, traces } = options
  const { directory, fs, path, readText } = files

  /**
   * The trace from the file the index names for it, without listing the directory; none when there is no such file
   * or it does not hold this trace now (then `get` looks the slow way, which also reports a broken file). A finished
   * trace wins over any journal of the same id, so no journal needs to be looked at.
   */
  const getIndexed = (id: string): Effect.Effect<Option.Option<WorkflowTrace.WorkflowTrace>> =>
    Effect.gen(function*() {
      const name = yield* index.fileOf(id)
      if (name === undefined) return Option.none()
      const file = path.join(directory, name)
      const text = yield* Effect.orElseSucceed(readText(file), () => Option.none<string>())
      if (Option.isNone(text)) return Option.none()
      const json = internal.parseJson(file, text.value)
      if (json._tag === "Left") return Option.none()
      const decoded = TraceDecoder.decodeFast(json.right)
      return decoded !== undefined && decoded.traceId === id ? Option.some(decoded) : Option.none()
    })

  const get = (traceId: string): Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const id = yield* TraceStore.validateId(traceId)
      const indexed = yield* getIndexed(id)
      if (Option.isSome(indexed)) return indexed.value
      const { running } = yield* sweepJournals
      const { found, problems } = yield* traces.candidates(id)
      for (const { file, json } of found) {
        const decoded = yield* Effect.either(internal.decodeTrace(file, json))
        if (decoded._tag === "Right") return decoded.right
        // A file declaring this id that does not decode is this trace, broken; one without an id might be.
        if (internal.declaredTraceId(json) === id) return yield* Effect.fail(decoded.left)
        problems.push(decoded.left)
      }
      const live = running.find((r) => r.trace.traceId === id)
      if (live !== undefined) return live.trace
      if (problems[0] !== undefined) return yield* Effect.fail(problems[0])
      // Set aside earlier: named with the reason, not "no such trace".
      const quarantined = (yield* Effect.orElseSucceed(quarantine.list, () => [])).find((stray) =>
        internal.mayHoldId(stray.original, id)
      )
      if (quarantined !== undefined) {
        return yield* Effect.fail(internal.corrupt(
          quarantined.file,
          `${quarantined.reason} (set aside in the quarantine; prune removes it)`,
          id
        ))
      }
      return yield* Effect.fail(TraceStore.notFound(id))
    })

  const list = (query?: TraceStore.TraceQuery) =>
    Effect.gen(function*() {
      const { entries, running } = yield* sweepAndIndex
      const summaries: Array<WorkflowTrace.TraceSummary> = []
      for (const e of entries) if (e.summary !== undefined) summaries.push(e.summary)
      if (running.length > 0) {
        const stored = new Set(summaries.map((s) => s.traceId))
        for (const r of running) if (!stored.has(r.trace.traceId)) summaries.push(WorkflowTrace.summarize(r.trace))
      }
      return TraceStore.applyQuery(summaries, query)
    })

  /**
   * `list` with node facts: from the facts file where it has them for the file as the index knows it, else from the
   * file (and the facts file learns them), and from the journal for a running trace.
   */
  const listNodeFacts = (query?: TraceStore.TraceQuery) =>
    Effect.gen(function*() {
      const [{ entries, running }, stored] = yield* Effect.all([sweepAndIndex, index.readFacts], { concurrency: 2 })
      const known = stored?.facts ?? new Map<string, TraceIndex.Facts>()
      /** The facts at hand for an entry: just read, or from the facts file if taken from this version of the file. */
      const factsOf = (entry: TraceIndex.Entry): unknown => {
        if (entry.facts !== undefined) return entry.facts
        const kept = known.get(entry.file)
        return kept !== undefined && kept.size === entry.size && kept.mtime === entry.mtime ? kept.nodes : undefined
      }
      const sources = new Map<WorkflowTrace.TraceSummary, TraceIndex.Entry | WorkflowTrace.WorkflowTrace>()
      for (const entry of entries) if (entry.summary !== undefined) sources.set(entry.summary, entry)
      const storedIds = new Set(Array.from(sources.keys(), (s) => s.traceId))
      for (const r of running) {
        if (!storedIds.has(r.trace.traceId)) sources.set(WorkflowTrace.summarize(r.trace), r.trace)
      }
      const selected = TraceStore.applyQuery(Array.from(sources.keys()), query)
      // Most come from the facts file, in one plain loop; only the others are read, a few files at a time.
      const facts: Array<NodeFacts.TraceFacts | undefined> = new Array(selected.length)
      const unknown: Array<number> = []
      selected.forEach((summary, i) => {
        const source = sources.get(summary)!
        if (!("file" in source)) facts[i] = NodeFacts.factsOf(source)
        else {
          const nodes = TraceIndex.decodeFacts(factsOf(source))
          if (nodes === undefined) unknown.push(i)
          else facts[i] = { ...summary, nodes }
        }
      })
      const learned = new Map<string, TraceIndex.Entry>()
      yield* Effect.forEach(unknown, (i) =>
        Effect.gen(function*() {
          const summary = selected[i]!
          const source = sources.get(summary) as TraceIndex.Entry
          // Not in the facts file (none yet, an older one, or a large trace): read from the file.
          const file = path.join(directory, source.file)
          const read = yield* Effect.either(Effect.gen(function*() {
            const text = yield* readText(file)
            if (Option.isNone(text)) return yield* internal.corrupt(file, "is gone (removed while listing)")
            return yield* internal.decodeTrace(file, yield* internal.parseJson(file, text.value))
          }))
          if (read._tag === "Left") return yield* Effect.logWarning(`skipping ${file}: ${read.left.description}`)
          const nodes = read.right.nodes.map(NodeFacts.nodeFactsOf)
          const encoded = TraceIndex.encodeFacts(nodes)
          if (encoded !== undefined && read.right.traceId === summary.traceId) {
            learned.set(source.file, { ...source, facts: encoded })
          }
          facts[i] = { ...summary, nodes }
        }), { concurrency: 16, discard: true })
      if (stored === undefined || stored.corrupt || stored.lines > 2 * entries.length + 64) {
        // Written anew with what is known of the files as they are now.
        yield* index.rewrite(
          index.factsFile,
          entries.flatMap((e) => {
            const nodes = learned.get(e.file)?.facts ?? factsOf(e)
            return nodes === undefined ? [] : [TraceIndex.encodeFactsLine({ ...e, facts: nodes })!]
          })
        )
      } else yield* index.appendFacts(Array.from(learned.values()))
      return facts.filter((f): f is NodeFacts.TraceFacts => f !== undefined)
    })

  const remove = (traceId: string): Effect.Effect<void, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const id = yield* TraceStore.validateId(traceId)
      index.forget(id)
      yield* sweepJournals
      const { found, problems } = yield* traces.candidates(id)
      let removed = false
      for (const { file, json } of found) {
        if (internal.declaredTraceId(json) !== id) {
          problems.push(internal.corrupt(file, "is not a valid trace: trace_id: is missing", id))
          continue
        }
        yield* fs.remove(file).pipe(
          Files.ignoreNotFound<void>(undefined),
          Effect.mapError(internal.unavailable("remove trace", file, id))
        )
        yield* index.appendIndex([TraceIndex.encodeRemoval(path.basename(file))])
        removed = true
      }
      if (!removed) return yield* Effect.fail(problems[0] ?? TraceStore.notFound(id))
    })

  return { get, list, listNodeFacts, remove }
}
