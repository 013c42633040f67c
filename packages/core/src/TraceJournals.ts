/**
 * A store capability: the journal of a running trace, for crash safety. The tracer `begin`s a journal when a trace
 * starts, `append`s what happens as it happens, and `finish`es it with the final trace. Until then the store lists
 * the trace as `running`; when its process dies, `recover` (which the store runs before it lists or gets) stores it
 * as `incomplete` with the nodes that finished. A store without this capability is handed each trace when it ends.
 *
 * The store never calls back into the tracer: everything it knows of a running trace is what was appended.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Journal from "./Journal.ts"
import * as TraceStore from "./TraceStore.ts"
import { summarize, type WorkflowTrace } from "./WorkflowTrace.ts"

/** The journal of one running trace. */
export interface TraceJournal {
  readonly traceId: string
  /** Appends entries in order and flushes them, so a crash after it returns loses none of them. */
  readonly append: (entries: ReadonlyArray<Journal.JournalEntry>) => Effect.Effect<void, TraceStore.TraceStoreError>
  /** Stores the finished trace in place of the journal (the compaction), then drops the journal. */
  readonly finish: (trace: WorkflowTrace) => Effect.Effect<void, TraceStore.TraceStoreError>
  /** Lets go of the journal without a final trace: the next `recover` turns it into an `incomplete` trace. */
  readonly abandon: Effect.Effect<void>
}

/** The journal capability of a store. */
export class TraceJournals extends Context.Tag("@victor/core/TraceJournals")<
  TraceJournals,
  {
    /** Starts the journal of a running trace; fails with `InvalidId` for an id `TraceStore.validateId` refuses. */
    readonly begin: (header: Journal.JournalHeader) => Effect.Effect<TraceJournal, TraceStore.TraceStoreError>
    /** Turns the journals of runs that are gone into `incomplete` traces; returns their ids. */
    readonly recover: Effect.Effect<ReadonlyArray<string>, TraceStore.TraceStoreError>
  }
>() {}

interface MemoryJournal {
  readonly header: Journal.JournalHeader
  readonly entries: Array<Journal.JournalEntry>
  abandoned: boolean
}

/**
 * The memory store with journals: the reference implementation of this capability. A running trace is rebuilt from
 * its entries (`Journal.rebuild`), as a store on disk rebuilds it after a crash; `abandon` stands for the process
 * dying.
 */
export const makeMemory: Effect.Effect<{
  readonly store: TraceStore.TraceStore["Type"]
  readonly journals: TraceJournals["Type"]
}> = Effect.map(TraceStore.makeMemory, (finished) => {
  const journals = new Map<string, MemoryJournal>()
  const running = (status: "running" | "incomplete") => (journal: MemoryJournal) =>
    Journal.rebuild(journal.header, journal.entries, status)

  const recover = Effect.gen(function*() {
    const recovered: Array<string> = []
    for (const [id, journal] of journals) {
      if (!journal.abandoned) continue
      journals.delete(id)
      if (Option.isNone(yield* Effect.option(finished.get(id)))) yield* finished.save(running("incomplete")(journal))
      recovered.push(id)
    }
    return recovered as ReadonlyArray<string>
  })

  const begin = (header: Journal.JournalHeader) =>
    Effect.map(TraceStore.validateId(header.traceId), (id): TraceJournal => {
      const journal: MemoryJournal = { header, entries: [], abandoned: false }
      journals.set(id, journal)
      return {
        traceId: id,
        append: (entries) =>
          Effect.sync(() => {
            for (const entry of entries) journal.entries.push(entry)
          }),
        finish: (trace) =>
          Effect.zipRight(
            finished.save(trace),
            Effect.sync(() => {
              if (journals.get(id) === journal) journals.delete(id)
            })
          ),
        abandon: Effect.sync(() => {
          journal.abandoned = true
        })
      }
    })

  const store = TraceStore.TraceStore.of({
    save: finished.save,
    remove: finished.remove,
    get: (traceId) =>
      Effect.zipRight(
        recover,
        Effect.catchIf(finished.get(traceId), (error) => error.reason === "NotFound", (error) => {
          const journal = journals.get(traceId)
          return journal === undefined ? Effect.fail(error) : Effect.succeed(running("running")(journal))
        })
      ),
    list: (query) =>
      Effect.gen(function*() {
        yield* recover
        const stored = yield* finished.list()
        const ids = new Set(stored.map((s) => s.traceId))
        const live = Array.from(journals.values(), running("running")).filter((t) => !ids.has(t.traceId))
        return TraceStore.applyQuery([...stored, ...live.map(summarize)], query)
      })
  })
  return { store, journals: TraceJournals.of({ begin, recover }) }
})

/** A fresh in-memory store with journals. */
export const layerMemory: Layer.Layer<TraceStore.TraceStore | TraceJournals> = Layer.effectContext(
  Effect.map(makeMemory, ({ journals, store }) =>
    Context.make(TraceStore.TraceStore, store).pipe(Context.add(TraceJournals, journals)))
)
