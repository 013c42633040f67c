/**
 * Live runs as server-sent events. A running trace is what its journal holds so far: the store rebuilds it from the
 * journal on every `get` (the file system store from `{workflow}_{id}.jsonl`, which the run appends to and flushes as
 * things happen; the SQL store from its journal rows), and lists it with status `running`. So the explorer asks the
 * store again at a short interval while someone watches, and sends an event only when something changed: no callback
 * from store to anyone, and it works for a run in any process, on any machine that shares the store.
 *
 * Two streams: the snapshots of one trace (its nodes, running ones included, until the run ends, then one last
 * snapshot marked `final`), and the set of running traces (for the history page, where a run started elsewhere
 * appears). Both send a comment every 15 s so that proxies and browsers keep the connection.
 */
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Chunk from "effect/Chunk"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as StoreChanges from "./StoreChanges.ts"

const encoder = new TextEncoder()

/** One event of the stream: its name and its data as one line of JSON (which holds no raw line break). */
export const event = (name: string, data: unknown): Uint8Array =>
  encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)

/** How often the store is asked again while a page watches. */
export interface Intervals {
  readonly trace: Duration.DurationInput
  readonly running: Duration.DurationInput
}

/** Half a second for a trace, a second for the list of running traces. */
export const defaultIntervals: Intervals = { trace: "500 millis", running: "1 second" }

/** A node as the live view shows it. */
export interface LiveNode {
  readonly node_id: string
  readonly node_type: string
  readonly status: "running" | "succeeded" | "failed"
  readonly timestamp: number
  readonly duration_seconds: number
  readonly tool_calls: number
  readonly error: string | null
}

/** At most this many nodes per snapshot (the latest ones): the report shows them all once the run ends. */
export const maxLiveNodes = 1000

const liveNode = (node: WorkflowTrace.NodeTraceRecord): LiveNode => ({
  node_id: node.nodeId,
  node_type: node.nodeType,
  status: node.metadata["unfinished"] === true ? "running" : node.success ? "succeeded" : "failed",
  timestamp: node.timestamp,
  duration_seconds: node.durationSeconds,
  tool_calls: node.toolCalls.length,
  error: node.error
})

/** What one snapshot of a trace says. */
export interface Snapshot {
  readonly summary: WorkflowTrace.TraceSummaryEncoded
  /** Whether the run has ended: no snapshot follows. */
  readonly final: boolean
  readonly error: string | null
  readonly events: number
  /** The nodes, in the order they started: only while the run goes on, the latest {@link maxLiveNodes}. */
  readonly nodes: ReadonlyArray<LiveNode>
  readonly omitted_nodes: number
}

/** The snapshot of a trace as it is now. */
export const snapshot = (trace: WorkflowTrace.WorkflowTrace): Snapshot => {
  const final = trace.status !== "running"
  const nodes = final ? [] : trace.nodes.slice(-maxLiveNodes).map(liveNode).sort((a, b) => a.timestamp - b.timestamp)
  return {
    summary: WorkflowTrace.encodeSummary(WorkflowTrace.summarize(trace)),
    final,
    error: trace.error,
    events: trace.events.length,
    nodes,
    omitted_nodes: final ? 0 : Math.max(0, trace.nodes.length - maxLiveNodes)
  }
}

/** What changes whenever the journal grows. */
const versionOf = (trace: WorkflowTrace.WorkflowTrace) =>
  `${trace.status}:${trace.events.length}:${trace.nodes.length}:${trace.durationSeconds}`

const keepAlive = <E, R>(stream: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Uint8Array, E, R> =>
  Stream.concat(
    // How long a browser waits before it connects again after the connection broke.
    Stream.make(encoder.encode("retry: 2000\n\n")),
    Stream.merge(
      stream,
      Stream.tick("15 seconds").pipe(Stream.drop(1), Stream.as(encoder.encode(": keep-alive\n\n"))),
      { haltStrategy: "left" }
    )
  )

/**
 * The snapshots of a trace: one at once, then one whenever it changed, until it is no longer running (that snapshot
 * is `final` and ends the stream). A trace that is not there (or cannot be read) gives one `missing` event and ends; a
 * store that cannot be reached gives a `problem` event and is asked again.
 */
export const traceSnapshots = (
  traceId: string,
  changes: StoreChanges.StoreChanges,
  intervals: Intervals = defaultIntervals
): Stream.Stream<Uint8Array, never, TraceStore.TraceStore> =>
  keepAlive(Stream.unwrap(Effect.map(TraceStore.TraceStore, (store) =>
    Stream.paginateChunkEffect(
      { version: "", seen: 0, first: true },
      (state): Effect.Effect<readonly [Chunk.Chunk<Uint8Array>, Option.Option<Polled>]> =>
        Effect.gen(function*() {
          const seen = state.first ? yield* changes.version : yield* changes.after(state.seen, intervals.trace)
          const got = yield* Effect.either(store.get(traceId))
          if (got._tag === "Left") {
            const error = got.left
            // Only a store that cannot be reached now may answer later; a trace not there or unreadable will not.
            if (error.reason !== "Unavailable") {
              return [Chunk.of(event("missing", { trace_id: traceId, message: error.message })), Option.none()]
            }
            return [Chunk.of(event("problem", { message: error.message })), Option.some({ ...state, seen, first: false })]
          }
          const trace = got.right
          const version = versionOf(trace)
          const changed = version !== state.version
          const next = trace.status === "running" ? Option.some({ version, seen, first: false }) : Option.none()
          return [changed ? Chunk.of(event("snapshot", snapshot(trace))) : Chunk.empty(), next]
        })
    ))))

/** Where a polling stream stands: what it sent last, and the store's changes it has seen. */
interface Polled {
  readonly version: string
  readonly seen: number
  readonly first: boolean
}

/**
 * The running traces, newest first: at once, then whenever one starts, ends or finishes a node (after `onChange`,
 * which drops what a page would otherwise be shown from before the change). Ends only when the client goes away.
 */
export const runningTraces = (
  changes: StoreChanges.StoreChanges,
  intervals: Intervals = defaultIntervals,
  onChange: Effect.Effect<void> = Effect.void
): Stream.Stream<Uint8Array, never, TraceStore.TraceStore> =>
  keepAlive(Stream.unwrap(Effect.map(TraceStore.TraceStore, (store) =>
    Stream.paginateChunkEffect(
      { version: "", seen: 0, first: true },
      (state): Effect.Effect<readonly [Chunk.Chunk<Uint8Array>, Option.Option<Polled>]> =>
        Effect.gen(function*() {
          const seen = state.first ? yield* changes.version : yield* changes.after(state.seen, intervals.running)
          const listed = yield* Effect.either(store.list({ status: "running" }))
          if (listed._tag === "Left") {
            return [
              Chunk.of(event("problem", { message: listed.left.message })),
              Option.some({ ...state, seen, first: false })
            ]
          }
          const running = listed.right.slice().reverse()
          const version = running.map((s) => `${s.traceId}:${s.nodeCount}:${s.failedNodeCount}`).join(",")
          const next = Option.some({ version, seen, first: false })
          if (!state.first && version === state.version) return [Chunk.empty(), next]
          if (!state.first) yield* onChange
          return [Chunk.of(event("running", { traces: running.map(WorkflowTrace.encodeSummary) })), next]
        })
    ))))
