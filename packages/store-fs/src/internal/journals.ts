/**
 * The journals of running traces, `{workflow}_{traceId}.jsonl` (0600): a header (whose run it is: pid and host),
 * then one JSON line per entry, appended and written through to the OS as things happen, so that a run killed with
 * -9 leaves all it did. `finish` stores the final trace, then removes the journal; `abandon` marks it abandoned, so
 * that the next reader recovers it as `incomplete` at once.
 *
 * While a run lives, a heartbeat touches its journal (mtime) every `heartbeat`, so that other processes, which cannot
 * always ask whether its owner runs, can tell it from a dead run's (see `recovery.ts`). The heartbeat is a fiber in
 * the journal's scope, a child of the store's: it stops when the journal is finished or abandoned, and when the
 * store's scope (its layer's) closes, which also marks the journals still open abandoned. Nothing of a journal
 * outlives the store's layer, so a program that never ends its traces still exits.
 */
import * as Journal from "@victor/core/Journal"
import type * as Payload from "@victor/core/Payload"
import * as TraceJournals from "@victor/core/TraceJournals"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type * as StoreDirectory from "./storeDirectory.ts"
import * as Files from "./storeFiles.ts"
import * as internal from "./traceFiles.ts"

/** What the journals need of the store. */
export interface JournalsOptions {
  readonly files: Files.StoreFiles
  readonly directory: StoreDirectory.StoreDirectory
  readonly capturer: Payload.Capturer
  readonly writeBlobs: (blobs: ReadonlyArray<Payload.Blob>) => Effect.Effect<void, TraceStore.TraceStoreError>
  /** Stores the final trace (replacing one with the same id). */
  readonly save: (trace: WorkflowTrace.WorkflowTrace) => Effect.Effect<void, TraceStore.TraceStoreError>
  /** This process, stamped into the journals' headers. */
  readonly owner: Journal.JournalOwner | undefined
  /** How often a running trace's journal is touched. */
  readonly heartbeat: Duration.Duration
  /** The journals this process is writing, by path (across stores): recovery never takes them from under it. */
  readonly ownJournals: Set<string>
  /** The store's scope: every journal is closed (abandoned if still open) when it closes. */
  readonly scope: Scope.Scope
}

/** The journals of a store. */
export interface Journals {
  /** Starts the journal of a running trace. */
  readonly begin: (header: Journal.JournalHeader) => Effect.Effect<TraceJournals.TraceJournal, TraceStore.TraceStoreError>
}

/** The journals of a store; none can be begun once the store's scope is closed. */
export const make = (options: JournalsOptions): Effect.Effect<Journals> =>
  Effect.gen(function*() {
    const { capturer, files, ownJournals, writeBlobs } = options
    const { directory, fs, nofollow, path, statOf } = files
    const encoder = new TextEncoder()

    // Set when the store's scope closes: a journal begun after would have no heartbeat and never be abandoned.
    let storeClosed = false
    yield* Scope.addFinalizer(options.scope, Effect.sync(() => void (storeClosed = true)))

    /**
     * The header with its inputs captured as a trace's are (with `none`, no content; large values to blobs, written
     * here): the journal is a sink like the trace file.
     */
    const captureHeader = (header: Journal.JournalHeader) =>
      Effect.gen(function*() {
        // The capturer takes traces and entries: the inputs go through it as those of a started node.
        const started = Journal.nodeStarted({ nodeId: "", nodeType: "", timestamp: header.startTime, inputs: header.inputs })
        const captured = yield* capturer.entries([started])
        const entry = captured.entries[0]
        if (entry === started || entry?._tag !== "NodeStarted") return header
        yield* writeBlobs(captured.blobs)
        return { ...header, inputs: entry.node.inputs }
      })

    /** Touches the journal now and every `heartbeat`, as Effect's `Clock` tells time; until interrupted. */
    const heartbeat = (file: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => fs.utimes(file, new Date(now), new Date(now))).pipe(
        Effect.ignore,
        Effect.repeat(Schedule.spaced(options.heartbeat))
      )

    const begin = (header: Journal.JournalHeader): Effect.Effect<TraceJournals.TraceJournal, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(header.traceId)
        const file = path.join(directory, internal.journalFileName(header.workflowName, id))
        const cannotWrite = internal.unavailable("write journal", file, id)
        if (storeClosed) {
          return yield* new TraceStore.TraceStoreError({
            reason: "Unavailable",
            path: file,
            traceId: id,
            description: `cannot write journal ${file}: the store is closed (the scope of its layer has ended)`
          })
        }
        yield* options.directory.ensure
        // The journal's lifetime: its file handle, its heartbeat, and its abandonment if the store closes first.
        const scope = yield* Scope.fork(options.scope, ExecutionStrategy.sequential)
        // A new file, 0600, never through a link; a link already in its place is removed (what it points at stays).
        const there = yield* statOf(file)
        if (Option.isSome(there) && there.value.type === "SymbolicLink") yield* Effect.ignore(fs.remove(file))
        const handle = yield* nofollow.open(file, { flag: "wx", mode: 0o600 }).pipe(
          Effect.mapError(cannotWrite),
          Scope.extend(scope),
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
        ownJournals.add(file)
        yield* Scope.addFinalizer(scope, Effect.sync(() => ownJournals.delete(file)))
        const write = (text: string) => Effect.mapError(handle.writeAll(encoder.encode(text)), cannotWrite)
        yield* Effect.flatMap(captureHeader(header), (captured) =>
          write(Journal.encodeHeader(captured, options.owner) + "\n")).pipe(
            Effect.onError(() => Scope.close(scope, Exit.void))
          )
        // One append at a time: the writer fiber never overlaps itself, but `finish` may come while it writes.
        const lock = yield* Effect.makeSemaphore(1)
        let closed = false
        const close = Effect.suspend(() => {
          closed = true
          return Scope.close(scope, Exit.void)
        })
        /** Marks the journal abandoned and closes it, unless it is closed already. */
        const markAbandoned = Effect.suspend(() =>
          closed ? Effect.void : Effect.zipRight(Effect.ignore(write(Journal.ABANDONED_LINE + "\n")), close)
        )
        // The store's scope closing first abandons the journal (an append or `finish` under way is waited for).
        // `finish` and `abandon` set `closed` before they close the scope, holding the lock: this then returns at
        // once rather than wait for the lock they hold.
        yield* Scope.addFinalizer(scope, Effect.suspend(() => (closed ? Effect.void : lock.withPermits(1)(markAbandoned))))
        // The heartbeat tells other processes this run is alive while it waits (a slow node writes nothing). Last in
        // the scope, so first stopped. Interruptible even when the run started in an uninterruptible region (a fork
        // inherits it), so that closing the scope ends it.
        yield* Effect.forkIn(Effect.interruptible(heartbeat(file)), scope)
        return {
          traceId: id,
          append: (entries) =>
            lock.withPermits(1)(Effect.gen(function*() {
              if (closed || entries.length === 0) return
              const captured = yield* capturer.entries(entries)
              yield* writeBlobs(captured.blobs)
              const text = yield* Effect.try({
                try: () => captured.entries.map((e) => Journal.encodeEntry(e) + "\n").join(""),
                catch: internal.unencodable(file, id)
              })
              yield* write(text)
            })),
          finish: (trace) =>
            lock.withPermits(1)(Effect.gen(function*() {
              // The final trace first: until it is in place, the journal is what a crash leaves.
              yield* options.save(trace)
              yield* close
              yield* fs.remove(file).pipe(Files.ignoreNotFound<void>(undefined), Effect.ignore)
            })),
          abandon: lock.withPermits(1)(markAbandoned)
        } satisfies TraceJournals.TraceJournal
      })

    return { begin }
  })
