/**
 * How the tracer journals a running trace. The tracer's hot path only calls `wake()` (a flag and a latch); a writer
 * fiber then appends everything that happened since its last write (events in order, each finished node right after
 * its completion event, the start and finished tool calls of nodes still open) in one `append`, redacted. Under load
 * several events share a write; when the run waits (a slow node) each one is written as it happens.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Journal from "../Journal.ts"
import * as Redaction from "../Redaction.ts"
import type { TraceJournal, TraceStore, TraceStoreError } from "../TraceStore.ts"
import type { WorkflowTrace } from "../WorkflowTrace.ts"
import { type ActiveTrace, liveSnapshot, type OpenNode } from "./activeTrace.ts"

/** The journal side of an active trace. */
export interface Persistence {
  readonly redactor: Redaction.Redactor
  /** Asks the writer to write what is new; cheap, called on every change. */
  readonly wake: () => void
  /** Stops the writer and stores the final trace: through the journal when there is one, else by `save`. */
  readonly finish: (trace: WorkflowTrace) => Effect.Effect<void, TraceStoreError>
}

/** Starts journaling a trace. A store that cannot begin a journal leaves the run to go on; `finish` saves then. */
export const start = (
  store: TraceStore["Type"],
  trace: ActiveTrace
): Effect.Effect<Persistence> =>
  Effect.gen(function*() {
    const redactor = yield* Redaction.CurrentRedactor
    // An in-process store reads the running trace from the tracer itself, redacted like everything it stores.
    const live = {
      snapshot: (status: "running" | "incomplete") => {
        const now = liveSnapshot(trace, status)
        return redactor.active ? redactor.trace(now) : now
      }
    }
    const begun = yield* Effect.either(store.begin(
      redactor.active
        ? {
          ...Journal.headerOf(trace),
          inputs: redactor.object(trace.inputs, "inputs"),
          metadata: redactor.object(trace.metadata, "metadata")
        }
        : Journal.headerOf(trace),
      live
    ))
    if (begun._tag === "Left") {
      return { redactor, wake: () => {}, finish: (final) => store.save(final) }
    }
    const journal: TraceJournal = begun.right
    if (journal.wantsEntries === false) {
      return { redactor, wake: () => {}, finish: (final) => journal.finish(final) }
    }
    // Open at first: the events recorded before the journal began (workflow_started) are written straight away.
    const latch = yield* Effect.makeLatch(true)
    let eventsDone = 0
    let nodesDone = 0
    const started = new WeakSet<OpenNode>()
    const callsDone = new WeakMap<OpenNode, number>()
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
      }
      return redactor.active ? entries.map(redactor.entry) : entries
    }

    const loop = Effect.gen(function*() {
      while (true) {
        yield* latch.await
        yield* latch.close
        pending = false
        // At the end the final trace replaces the journal: nothing more is worth writing to it.
        if (closing) return
        const entries = collect()
        if (entries.length > 0 && !failed) {
          // A journal that cannot be written is given up; the final save reports the problem.
          const written = yield* Effect.either(journal.append(entries))
          if (written._tag === "Left") failed = true
        }
      }
    })
    // Interruptible even when the trace started in an uninterruptible region (a fork inherits it).
    const fiber = yield* Effect.forkDaemon(Effect.interruptible(loop))

    return {
      redactor,
      wake: () => {
        if (pending) return
        pending = true
        latch.unsafeOpen()
      },
      finish: (final) =>
        Effect.gen(function*() {
          closing = true
          latch.unsafeOpen()
          yield* Fiber.await(fiber)
          yield* journal.finish(final)
        })
    }
  })
