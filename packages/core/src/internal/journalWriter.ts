/**
 * How the tracer journals a running trace. The tracer's hot path only calls `wake()` (a flag and a latch); a writer
 * fiber then appends everything that happened since its last write (events in order, each finished node right after
 * its completion event, the start and finished tool calls of nodes still open) in one `append`, redacted. Under load
 * several events share a write; when the run waits (a slow node) each one is written as it happens.
 *
 * Stored before said: a trace with handlers (the event stream, the live view, a user's own) runs `flush` before it
 * hands anything to them, which writes what is new itself and returns once the store has written it to the OS. So an
 * event a handler saw is in the journal even if the process is killed right after. Writes are serialised by one lock
 * (the writer fiber's and those of `flush`, which may come from several fibers): whoever holds it writes everything
 * recorded so far, and the others find nothing left. A trace without handlers never waits for the journal; a trace
 * with handlers is written by its flushes alone.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Journal from "../Journal.ts"
import * as Redaction from "../Redaction.ts"
import type { TraceJournal, TraceJournals } from "../TraceJournals.ts"
import type { TraceStore, TraceStoreError } from "../TraceStore.ts"
import type { WorkflowTrace } from "../WorkflowTrace.ts"
import { type ActiveTrace, currentCursor, type OpenNode, spanBridge } from "./activeTrace.ts"

// The store's own work, outside the trace it writes: a store whose calls make Effect spans (an SQL client's queries)
// would otherwise record them into the trace, and each one recorded would wake the writer to write it, for ever.
// Only with an Effect span bridge installed (see `EffectSpans`) is there anything to keep out.
const outsideTrace = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => (spanBridge.installed ? Effect.locally(effect, currentCursor, undefined) : effect))

/** The journal side of an active trace. */
export interface Persistence {
  /**
   * The ended trace as the store and every other sink get it: redacted, and with values bounded to `Json.MAX_DEPTH`
   * levels when the store writes it out (see `Redaction.depthLimit`).
   */
  readonly prepare: (trace: WorkflowTrace) => WorkflowTrace
  /** Asks the writer to write what is new; cheap, called on every change. */
  readonly wake: () => void
  /**
   * `wake` for a change no trace handler is told about (an Effect span): with handlers, the next handler's `flush`
   * would be the next write, so the writer is woken for it as it would be without them.
   */
  readonly wakeUnannounced: () => void
  /**
   * Writes everything recorded so far and returns once the store has it (for the file store: written to the OS, so
   * it survives the process being killed). What the tracer runs before it calls trace handlers.
   */
  readonly flush: Effect.Effect<void>
  /** Stops the writer and stores the final trace: through the journal when there is one, else by `save`. */
  readonly finish: (trace: WorkflowTrace) => Effect.Effect<void, TraceStoreError>
}

/**
 * Starts journaling a trace. Without journals (a store that has no such capability), or when the store cannot
 * begin one, the run goes on and `finish` saves the trace.
 */
export const start = (
  store: TraceStore["Type"],
  journals: TraceJournals["Type"] | undefined,
  trace: ActiveTrace,
  redactor: Redaction.Redactor
): Effect.Effect<Persistence> => {
  const prepare = (final: WorkflowTrace) => redactor.active ? redactor.trace(final) : final
  const idle = () => {}
  const saveAtEnd: Persistence = {
    prepare,
    wake: idle,
    wakeUnannounced: idle,
    flush: Effect.void,
    finish: (final) => store.save(final)
  }
  return journals === undefined ? Effect.succeed(saveAtEnd) : journaled(journals, trace, redactor, saveAtEnd)
}

// The persistence of a trace over a store with journals.
const journaled = (
  journals: TraceJournals["Type"],
  trace: ActiveTrace,
  redactor: Redaction.Redactor,
  saveAtEnd: Persistence
): Effect.Effect<Persistence> =>
  Effect.gen(function*() {
    const header = Journal.headerOf(trace)
    // The header keeps no value deeper than any other line does (see `Redaction.depthLimit`).
    const sanitizedHeader = (sanitizer: Redaction.Redactor) =>
      sanitizer.active
        ? {
          ...header,
          inputs: sanitizer.object(header.inputs, "inputs"),
          metadata: sanitizer.object(header.metadata, "metadata")
        }
        : header
    const begun = yield* Effect.either(outsideTrace(journals.begin(
      sanitizedHeader(redactor.active ? redactor : Redaction.depthLimit)
    )))
    if (begun._tag === "Left") return saveAtEnd
    const journal: TraceJournal = begun.right
    // What the journal and the final trace are written as: redacted, or at least bounded in depth.
    const sanitizer = redactor.active ? redactor : Redaction.depthLimit
    // Open at first: the events recorded before the journal began (workflow_started) are written straight away.
    const latch = yield* Effect.makeLatch(true)
    let eventsDone = 0
    let nodesDone = 0
    const started = new WeakSet<OpenNode>()
    const callsDone = new WeakMap<OpenNode, number>()
    const spansDone = new WeakMap<OpenNode, number>()
    let traceSpansDone = 0
    let failed = false
    let closing = false
    let pending = false

    const collect = (): Array<Journal.JournalEntry> => {
      const entries: Array<Journal.JournalEntry> = []
      const events = trace.events
      for (; eventsDone < events.length; eventsDone++) {
        const e = events.at(eventsDone)
        entries.push(Journal.event(e))
        if ((e.eventType === "node_completed" || e.eventType === "node_failed") && nodesDone < trace.nodes.length) {
          entries.push(Journal.node(trace.nodes[nodesDone++]!))
        }
      }
      const open: Array<OpenNode> = []
      for (let node = trace.lastOpen; node !== undefined; node = node.previousOpen) open.push(node)
      for (let i = open.length - 1; i >= 0; i--) {
        const node = open[i]!
        if (!started.has(node)) {
          started.add(node)
          entries.push(Journal.nodeStarted({
            nodeId: node.nodeId,
            nodeType: node.nodeType,
            timestamp: node.startTime,
            inputs: node.inputs
          }))
        }
        const calls = node.toolCalls ?? []
        for (let done = callsDone.get(node) ?? 0; done < calls.length; done++) {
          entries.push(Journal.toolCall(calls[done]!, node.nodeId))
          callsDone.set(node, done + 1)
        }
        // A node's spans as they end; a closed node's record holds them all (a tool call's travel in its record).
        const spans = node.spans
        if (spans !== undefined) {
          for (let done = spansDone.get(node) ?? 0; done < spans.length; done++) {
            entries.push(Journal.span(spans[done]!, node.nodeId))
            spansDone.set(node, done + 1)
          }
        }
      }
      const spans = trace.spans
      if (spans !== undefined) {
        for (; traceSpansDone < spans.length; traceSpansDone++) {
          entries.push(Journal.span(spans[traceSpansDone]!, undefined))
        }
      }
      return entries.map(sanitizer.entry)
    }

    // One write at a time, in order: the writer fiber's and `flush`'s.
    const lock = yield* Effect.makeSemaphore(1)
    // Writes what is new; once closing, nothing (the final trace replaces the journal).
    const write = lock.withPermits(1)(Effect.suspend(() => {
      if (closing || failed) return Effect.void
      const entries = collect()
      if (entries.length === 0) return Effect.void
      // A journal that cannot be written is given up; the final save reports the problem.
      return Effect.catchAll(journal.append(entries), () => {
        failed = true
        return Effect.void
      })
    }))

    const loop = Effect.gen(function*() {
      while (true) {
        yield* latch.await
        yield* latch.close
        pending = false
        if (closing) return
        yield* write
      }
    })
    // Interruptible even when the trace started in an uninterruptible region (a fork inherits it).
    const fiber = yield* Effect.forkDaemon(Effect.interruptible(Effect.locally(loop, currentCursor, undefined)))

    return {
      prepare: sanitizer.trace,
      // With handlers every change is followed by a `flush` (the tracer runs one before each hook), which writes it:
      // waking the writer as well would only have it contend for the lock.
      wake: () => {
        if (pending || trace.handlers.length > 0) return
        pending = true
        latch.unsafeOpen()
      },
      wakeUnannounced: () => {
        if (pending) return
        pending = true
        latch.unsafeOpen()
      },
      // Uninterruptible: a handler call is not worth losing a journal write half-done for.
      flush: Effect.uninterruptible(outsideTrace(write)),
      finish: (final) =>
        Effect.gen(function*() {
          closing = true
          latch.unsafeOpen()
          yield* Fiber.await(fiber)
          // A write under way (a `flush` from another fiber) ends before the final trace replaces the journal.
          yield* lock.withPermits(1)(journal.finish(final))
        })
    }
  })
