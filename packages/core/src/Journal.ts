/**
 * The journal of a running trace: what a store keeps while a workflow runs, so that a run that dies (`kill -9`, a
 * power cut) is never lost. A journal is a header (the trace's identity, inputs and metadata) followed by entries in
 * the order they happened: execution events, finished node records and finished tool calls, and finished Effect spans
 * of nodes still open or of the trace itself (a tool call's spans travel in its record, a closed node's in its
 * record). `rebuild` turns a journal back into a trace; a journal whose run is gone becomes an `incomplete` trace
 * holding every node, tool call and span that had finished, plus the nodes still open, closed as failed.
 *
 * On disk a journal is JSON Lines (`{workflow}_{trace_id}.jsonl`): the header line, then one line per entry, in the
 * guide's snake_case wire format (see `encodeEntry` / `decodeLine`).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ExecutionEvent } from "./ExecutionEvent.ts"
import * as journalRebuild from "./internal/journalRebuild.ts"
import { boundedObject, isStackOverflow, JsonObject } from "./Json.ts"
import * as TraceDecoder from "./TraceDecoder.ts"
import {
  BASE_SCHEMA_VERSION,
  NodeTraceRecord,
  SpanRecord,
  ToolCallRecord,
  type TraceStatus,
  type WorkflowTrace
} from "./WorkflowTrace.ts"

/** The version of the journal line format. */
export const JOURNAL_VERSION = 1

/** Who is writing a journal: enough for another process to tell whether the writer is still alive. */
export const JournalOwner = Schema.Struct({
  pid: Schema.Number,
  host: Schema.String
}).annotations({ identifier: "JournalOwner" })

/** Who is writing a journal. */
export interface JournalOwner extends Schema.Schema.Type<typeof JournalOwner> {}

/** The start of a journal: the trace's identity and what it started with. */
export const JournalHeader = Schema.Struct({
  schemaVersion: Schema.optionalWith(Schema.Number, { default: () => BASE_SCHEMA_VERSION }).pipe(
    Schema.fromKey("schema_version")
  ),
  traceId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("trace_id")),
  workflowName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("workflow_name")),
  startTime: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("start_time")),
  inputs: Schema.optionalWith(JsonObject, { default: () => ({}) }),
  metadata: Schema.optionalWith(JsonObject, { default: () => ({}) }),
  parentTraceId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("parent_trace_id")
  ),
  traceParent: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("trace_parent")
  )
}).annotations({ identifier: "JournalHeader" })

/** The start of a journal. */
export interface JournalHeader extends Schema.Schema.Type<typeof JournalHeader> {}

/** One thing that happened in a running trace. */
export type JournalEntry =
  | { readonly _tag: "Event"; readonly event: ExecutionEvent }
  | { readonly _tag: "NodeStarted"; readonly node: StartedNode }
  | { readonly _tag: "Node"; readonly node: NodeTraceRecord }
  | { readonly _tag: "ToolCall"; readonly toolCall: ToolCallRecord; readonly nodeId: string | undefined }
  | { readonly _tag: "Span"; readonly span: SpanRecord; readonly nodeId: string | undefined }

/** A node that has started: what a recovered trace shows of a node the run never finished. */
export const StartedNode = Schema.Struct({
  nodeId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("node_id")),
  nodeType: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("node_type")),
  timestamp: Schema.Number,
  inputs: Schema.optionalWith(JsonObject, { default: () => ({}) })
}).annotations({ identifier: "StartedNode" })

/** A node that has started. */
export interface StartedNode extends Schema.Schema.Type<typeof StartedNode> {}

/** An event entry. */
export const event = (event: ExecutionEvent): JournalEntry => ({ _tag: "Event", event })
/** A started node entry. */
export const nodeStarted = (node: StartedNode): JournalEntry => ({ _tag: "NodeStarted", node })
/** A finished node entry. */
export const node = (node: NodeTraceRecord): JournalEntry => ({ _tag: "Node", node })
/** A finished tool call entry, with the node it belongs to when there is one. */
export const toolCall = (toolCall: ToolCallRecord, nodeId: string | undefined): JournalEntry => ({
  _tag: "ToolCall",
  toolCall,
  nodeId
})

/** A finished Effect span entry: of the open node with this id, or of the trace itself when there is none. */
export const span = (span: SpanRecord, nodeId: string | undefined): JournalEntry => ({ _tag: "Span", span, nodeId })

/** The header of a journal for a trace that is starting. */
export const headerOf = (trace: Pick<
  WorkflowTrace,
  "traceId" | "workflowName" | "startTime" | "inputs" | "metadata" | "parentTraceId" | "traceParent"
>): JournalHeader => ({
  // Spans may come later; `rebuild` says version 2 when they do.
  schemaVersion: BASE_SCHEMA_VERSION,
  traceId: trace.traceId,
  workflowName: trace.workflowName,
  startTime: trace.startTime,
  inputs: trace.inputs,
  metadata: trace.metadata,
  parentTraceId: trace.parentTraceId,
  traceParent: trace.traceParent
})

// ---------------------------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------------------------

const HeaderLine = Schema.Struct({
  journal: Schema.Number,
  header: JournalHeader,
  owner: Schema.optional(JournalOwner)
})
const EventLine = Schema.Struct({ event: ExecutionEvent })
const NodeLine = Schema.Struct({ node: NodeTraceRecord })
const NodeStartedLine = Schema.Struct({ node_started: StartedNode })
const ToolCallLine = Schema.Struct({
  tool_call: ToolCallRecord,
  node_id: Schema.optional(Schema.String)
})
const SpanLine = Schema.Struct({
  span: SpanRecord,
  node_id: Schema.optional(Schema.String)
})

const encodeHeaderLine = Schema.encodeSync(HeaderLine)
const encodeEvent = Schema.encodeSync(ExecutionEvent)
const encodeNode = Schema.encodeSync(NodeTraceRecord)
const encodeToolCall = Schema.encodeSync(ToolCallRecord)
const decodeHeaderLine = Schema.decodeUnknownEither(HeaderLine)
const decodeEventLine = Schema.decodeUnknownEither(EventLine)
const decodeNodeLine = Schema.decodeUnknownEither(NodeLine)
const encodeStartedNode = Schema.encodeSync(StartedNode)
const decodeNodeStartedLine = Schema.decodeUnknownEither(NodeStartedLine)
const decodeToolCallLine = Schema.decodeUnknownEither(ToolCallLine)
const encodeSpan = Schema.encodeSync(SpanRecord)
const decodeSpanLine = Schema.decodeUnknownEither(SpanLine)

/** The first line of a journal (without the newline). */
export const encodeHeader = (header: JournalHeader, owner?: JournalOwner): string =>
  overflowSafe(
    () => encodeHeaderAsIs(header, owner),
    () =>
      encodeHeaderAsIs(
        { ...header, inputs: boundedObject(header.inputs), metadata: boundedObject(header.metadata) },
        owner
      )
  )

const encodeHeaderAsIs = (header: JournalHeader, owner: JournalOwner | undefined): string =>
  JSON.stringify(encodeHeaderLine({ journal: JOURNAL_VERSION, header, ...(owner === undefined ? {} : { owner }) }))

/**
 * The JSON of an entry as the line written for it (without the newline). Throws on values JSON cannot hold; a value
 * nested too deep for `JSON.stringify` is written bounded (see `Json.MAX_DEPTH`).
 */
export const encodeEntry = (entry: JournalEntry): string =>
  overflowSafe(() => encodeEntryAsIs(entry), () => encodeEntryAsIs(boundedEntry(entry)))

// The first way, unless a value is nested too deep for it; then the second.
const overflowSafe = (asIs: () => string, bounded: () => string): string => {
  try {
    return asIs()
  } catch (error) {
    if (!isStackOverflow(error)) throw error
    return bounded()
  }
}

const boundedSpan = (span: SpanRecord): SpanRecord => ({
  ...span,
  attributes: boundedObject(span.attributes),
  ...(span.events === undefined
    ? {}
    : { events: span.events.map((event) => ({ ...event, attributes: boundedObject(event.attributes) })) })
})

const boundedSpans = (spans: ReadonlyArray<SpanRecord> | undefined) =>
  spans === undefined ? {} : { spans: spans.map(boundedSpan) }

const boundedToolCall = (call: ToolCallRecord): ToolCallRecord => ({
  ...call,
  inputs: boundedObject(call.inputs),
  outputs: boundedObject(call.outputs),
  ...boundedSpans(call.spans)
})

// The entry with every value bounded to `Json.MAX_DEPTH` levels (see `Json.bounded`).
const boundedEntry = (entry: JournalEntry): JournalEntry => {
  switch (entry._tag) {
    case "Event":
      return entry.event.data === undefined ? entry : event({ ...entry.event, data: boundedObject(entry.event.data) })
    case "NodeStarted":
      return nodeStarted({ ...entry.node, inputs: boundedObject(entry.node.inputs) })
    case "Node":
      return node({
        ...entry.node,
        inputs: boundedObject(entry.node.inputs),
        outputs: boundedObject(entry.node.outputs),
        metadata: boundedObject(entry.node.metadata),
        toolCalls: entry.node.toolCalls.map(boundedToolCall),
        ...boundedSpans(entry.node.spans)
      })
    case "ToolCall":
      return toolCall(boundedToolCall(entry.toolCall), entry.nodeId)
    case "Span":
      return span(boundedSpan(entry.span), entry.nodeId)
  }
}

const encodeEntryAsIs = (entry: JournalEntry): string => {
  switch (entry._tag) {
    case "Event":
      return JSON.stringify({ event: encodeEvent(entry.event) })
    case "NodeStarted":
      return JSON.stringify({ node_started: encodeStartedNode(entry.node) })
    case "Node":
      return JSON.stringify({ node: encodeNode(entry.node) })
    case "ToolCall":
      return JSON.stringify(
        entry.nodeId === undefined
          ? { tool_call: encodeToolCall(entry.toolCall) }
          : { tool_call: encodeToolCall(entry.toolCall), node_id: entry.nodeId }
      )
    case "Span":
      return JSON.stringify(
        entry.nodeId === undefined
          ? { span: encodeSpan(entry.span) }
          : { span: encodeSpan(entry.span), node_id: entry.nodeId }
      )
  }
}

/** A parsed journal: its header, owner and the entries that could be read. */
export interface ParsedJournal {
  readonly header: JournalHeader
  readonly owner: JournalOwner | undefined
  readonly entries: ReadonlyArray<JournalEntry>
  /** Lines that could not be read (a line cut short by a crash is the usual one); they are skipped. */
  readonly skippedLines: number
  /** Whether its writer let go of it without a final trace (see `ABANDONED_LINE`): it is recovered at once. */
  readonly abandoned: boolean
}

/** The line a writer appends when it lets go of a journal without finishing it. */
export const ABANDONED_LINE = JSON.stringify({ abandoned: true })

/** Only the header and owner of a journal (its first line): enough to tell whether its run is alive. */
export const parseHeader = (
  text: string
): Either.Either<{ readonly header: JournalHeader; readonly owner: JournalOwner | undefined; readonly abandoned: boolean }, string> => {
  const end = text.indexOf("\n")
  let json: unknown
  try {
    json = JSON.parse(end < 0 ? text : text.slice(0, end))
  } catch {
    return Either.left("its first line is not a journal header (not JSON)")
  }
  const header = decodeHeaderLine(json)
  if (Either.isLeft(header)) return Either.left("its first line is not a journal header")
  const abandoned = text.endsWith(ABANDONED_LINE + "\n") || text.endsWith(ABANDONED_LINE)
  return Either.right({ header: header.right.header, owner: header.right.owner, abandoned })
}

/** Parses a journal's text; fails with a reason when its first line is not a journal header. */
export const parse = (text: string): Either.Either<ParsedJournal, string> => {
  const lines = text.split("\n")
  const first = lines[0] ?? ""
  let json: unknown
  try {
    json = JSON.parse(first)
  } catch {
    return Either.left("its first line is not a journal header (not JSON)")
  }
  const header = decodeHeaderLine(json)
  if (Either.isLeft(header)) return Either.left("its first line is not a journal header")
  const entries: Array<JournalEntry> = []
  let skippedLines = 0
  let abandoned = false
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line.length === 0) continue
    if (line === ABANDONED_LINE) {
      abandoned = true
      continue
    }
    const entry = decodeLine(line)
    if (entry === undefined) skippedLines++
    else entries.push(entry)
  }
  return Either.right({ header: header.right.header, owner: header.right.owner, entries, skippedLines, abandoned })
}

const optionalString = (v: unknown) => v === undefined || typeof v === "string"
const fastEvent = TraceDecoder.decodeEvent
const fastToolCall = TraceDecoder.decodeToolCall
const fastNode = TraceDecoder.decodeNode

/**
 * A node record decoded from its JSON (the guide's keys) by a hand-written check that gives exactly what the Schema
 * gives, or undefined (then `WorkflowTrace.decodeUnknown` gives the precise error); see `TraceDecoder`.
 * Decoding 100,000 nodes through Schema takes seconds; this takes milliseconds.
 */
export const decodeNodeFast: (json: unknown) => NodeTraceRecord | undefined = TraceDecoder.decodeNode

/** An execution event decoded from its JSON by a hand-written check, or undefined (see `decodeNodeFast`). */
export const decodeEventFast: (json: unknown) => ExecutionEvent | undefined = TraceDecoder.decodeEvent

const fastEntry = (json: object): JournalEntry | undefined => {
  const o = json as Record<string, unknown>
  if ("event" in o) {
    const e = fastEvent(o["event"])
    return e === undefined ? undefined : event(e)
  }
  if ("node" in o) {
    const n = fastNode(o["node"])
    return n === undefined ? undefined : node(n)
  }
  if ("tool_call" in o && optionalString(o["node_id"])) {
    const c = fastToolCall(o["tool_call"])
    return c === undefined ? undefined : toolCall(c, o["node_id"] as string | undefined)
  }
  if ("span" in o && optionalString(o["node_id"])) {
    const s = TraceDecoder.decodeSpan(o["span"])
    return s === undefined ? undefined : span(s, o["node_id"] as string | undefined)
  }
  return undefined
}

/** One entry line decoded, or undefined when it is not one (e.g. cut short by a crash). */
export const decodeLine = (line: string): JournalEntry | undefined => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof json !== "object" || json === null) return undefined
  // A hand-written check first (recovering 100,000 events through Schema takes seconds); Schema decides the rest.
  const fast = fastEntry(json)
  if (fast !== undefined) return fast
  if ("event" in json) {
    const decoded = decodeEventLine(json)
    return Either.isRight(decoded) ? event(decoded.right.event) : undefined
  }
  if ("node_started" in json) {
    const decoded = decodeNodeStartedLine(json)
    return Either.isRight(decoded) ? nodeStarted(decoded.right.node_started) : undefined
  }
  if ("node" in json) {
    const decoded = decodeNodeLine(json)
    return Either.isRight(decoded) ? node(decoded.right.node) : undefined
  }
  if ("tool_call" in json) {
    const decoded = decodeToolCallLine(json)
    return Either.isRight(decoded) ? toolCall(decoded.right.tool_call, decoded.right.node_id) : undefined
  }
  if ("span" in json) {
    const decoded = decodeSpanLine(json)
    return Either.isRight(decoded) ? span(decoded.right.span, decoded.right.node_id) : undefined
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Rebuilding a trace
// ---------------------------------------------------------------------------------------------------------------

/** The error of a trace rebuilt from the journal of a run that stopped. */
export const INCOMPLETE_ERROR = journalRebuild.INCOMPLETE_ERROR

/** The error of a node still open when its run stopped. */
export const UNFINISHED_NODE_ERROR = journalRebuild.UNFINISHED_NODE_ERROR

/**
 * The trace a journal holds: every event, every finished node, and each node still open closed as failed with the
 * tool calls it had finished. `status` is `running` for a live journal and `incomplete` for one whose run is gone;
 * `lastAlive` (unix seconds, e.g. the journal's last heartbeat) says until when the run was seen alive, so that the
 * durations of a recovered trace and of its unfinished nodes reach that far.
 */
export const rebuild: (
  header: JournalHeader,
  entries: ReadonlyArray<JournalEntry>,
  status: Extract<TraceStatus, "running" | "incomplete">,
  lastAlive?: number
) => WorkflowTrace = journalRebuild.rebuild
