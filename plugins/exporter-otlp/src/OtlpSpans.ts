/**
 * A Victor trace as OpenTelemetry spans (the "transform" half of an OTLP exporter, kept apart from encoding and
 * sending as in opentelemetry-js): SDK-shaped `ReadableSpan`s that `@opentelemetry/otlp-transformer` serializes.
 *
 * Spans follow the OpenTelemetry GenAI semantic conventions (semconv 1.37 to 1.41: `invoke_workflow`,
 * `invoke_agent`, `chat`, `execute_tool`, `gen_ai.provider.name`), with `victor.*` attributes for what they do not
 * cover:
 *
 * - the run: `invoke_workflow {workflow}`, the root;
 * - each node record: `invoke_agent {node id}` for agent nodes, `{node type} {node id}` for the others (`compute
 *   fetch`, `parallel fan_out`, `workflow fix`), under the run, or under the parallel node it ran in;
 * - each model call of an agent (`metadata.model_calls`, timed by its `model_call_completed` event): `chat {model}`;
 * - each tool call: `execute_tool {tool}`; a call to an MCP server's tool also carries the MCP attributes of its
 *   `tools/call` span (`mcp.method.name`, `mcp.session.id`, `network.transport`, `victor.mcp.server`, ...: see
 *   `@victor/mcp/McpServers`), which is not exported as a span of its own, as the MCP conventions ask when a GenAI
 *   `execute_tool` span already describes the call;
 * - each Effect span (`spans` of a tool call, a node or the run, see `EffectSpans`): its own name, kind, attributes
 *   and events, under the Effect span that enclosed it, else under the tool call, node or run that holds it.
 *
 * Ids are W3C ids derived from the Victor trace id alone, so exporting a trace twice gives the same spans (an
 * idempotent push): the trace id is `TraceContext.traceIdOf(trace_id)`; a node's span id is
 * `TraceContext.spanIdOf(trace_id, node_id, iteration, attempt)`, the span id the executor hands a node's processes
 * in `TRACEPARENT` and a sub-workflow in its `trace_parent`; the run's is hashed the same way ({@link rootSpanIdOf});
 * a model or tool call's is mixed from its node's span id and its position; an Effect span keeps the W3C span id it
 * was recorded with (one that is not a valid, unused span id is mixed from its holder's id and its position instead).
 * A trace with a W3C `trace_parent` joins
 * its caller's trace: its trace id is the caller's and its root's parent is the caller's span (so a sub-workflow's
 * root nests under its workflow node).
 *
 * Payloads go out only as the trace holds them (exporters see traces after redaction and capture), as JSON strings
 * cut to `maxAttributeLength` characters, or not at all with `payloads: false`.
 */
import { SpanKind, SpanStatusCode, TraceFlags } from "@opentelemetry/api"
import type { AttributeValue, Attributes, HrTime, SpanContext, SpanStatus } from "@opentelemetry/api"
import { resourceFromAttributes } from "@opentelemetry/resources"
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace"
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import * as TraceContext from "@victor/core/TraceContext"
import {
  type NodeTraceRecord,
  type SpanRecord,
  spanTree,
  type ToolCallRecord,
  type WorkflowTrace
} from "@victor/core/WorkflowTrace"
import * as Either from "effect/Either"
import { parentsOf } from "./internal/nesting.ts"
import * as SpanIds from "./internal/spanIds.ts"
import { hrTime, type Scope, Span } from "./internal/readableSpan.ts"

/** How a trace becomes spans. */
export interface Options {
  /** The resource's `service.name`; defaults to `victor`. */
  readonly serviceName?: string
  /** More resource attributes (`deployment.environment.name`, ...); `service.name` comes from `serviceName`. */
  readonly resourceAttributes?: Readonly<Record<string, string | number | boolean>>
  /**
   * The longest string attribute value, in UTF-16 code units, as OpenTelemetry's
   * `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`: longer values (payloads, errors, names) are cut to it. Defaults to 4096;
   * `Infinity` keeps every value whole. A negative or non-numeric value counts as the default.
   */
  readonly maxAttributeLength?: number
  /** Whether node, tool and workflow inputs and outputs go out at all; defaults to `true`. */
  readonly payloads?: boolean
}

/** The default `service.name`. */
export const defaultServiceName = "victor"

/** The default `maxAttributeLength`. */
export const defaultMaxAttributeLength = 4096

/** The instrumentation scope of every span. */
export const scope: Scope = { name: "@victor/exporter-otlp", version: "0.1.0" }

/** The span id of a run's root (`invoke_workflow`) span: iteration 0 and an empty node id, which no node has. */
export const rootSpanIdOf = (victorTraceId: string): string => TraceContext.spanIdOf(victorTraceId, "", 0, 0)

/** The W3C trace id the spans of a trace carry: its `trace_parent`'s when it joins a caller's trace. */
export const traceIdOf = (trace: WorkflowTrace): string => {
  const caller = callerOf(trace)
  return caller === undefined ? TraceContext.traceIdOf(trace.traceId) : caller.traceId
}

/**
 * The spans of a trace: the run first with the Effect spans it holds, then each node record (in trace order) followed
 * by its model calls, its tool calls (each followed by its Effect spans) and its Effect spans.
 */
export const toReadableSpans = (trace: WorkflowTrace, options: Options = {}): Array<ReadableSpan> => {
  const plan = makePlan(trace, options)
  const spans: Array<ReadableSpan> = [plan.root]
  plan.addRunSpans(spans)
  for (let i = 0; i < trace.nodes.length; i++) plan.addNode(i, spans)
  return spans
}

/**
 * The same spans in batches of about `size` (a node's spans are never split), computed as they are pulled, so that a
 * 100,000-node trace is sent or written in bounded requests.
 */
export function* batches(
  trace: WorkflowTrace,
  options: Options = {},
  size = 1000
): Generator<Array<ReadableSpan>, void, void> {
  const plan = makePlan(trace, options)
  let batch: Array<ReadableSpan> = [plan.root]
  plan.addRunSpans(batch)
  for (let i = 0; i < trace.nodes.length; i++) {
    plan.addNode(i, batch)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

// ---------------------------------------------------------------------------------------------------------------
// The mapping
// ---------------------------------------------------------------------------------------------------------------

interface Plan {
  readonly root: ReadableSpan
  /** Appends the spans of the Effect spans the run holds outside any node. */
  readonly addRunSpans: (out: Array<ReadableSpan>) => void
  /** Appends node `index`'s span and its model and tool calls' spans, and the Effect spans of both. */
  readonly addNode: (index: number, out: Array<ReadableSpan>) => void
}

const unset: SpanStatus = { code: SpanStatusCode.UNSET }
const noEvents: Array<TimedEvent> = []

const callerOf = (trace: WorkflowTrace): TraceContext.TraceParent | undefined => {
  if (trace.traceParent === null) return undefined
  const parsed = TraceContext.parse(trace.traceParent)
  return Either.isRight(parsed) ? parsed.right : undefined
}

const isEmpty = (value: object): boolean => {
  for (const _ in value) return false
  return true
}

const positive = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined

const finite = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined

const spanKinds: Readonly<Record<SpanRecord["kind"], SpanKind>> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER
}

const w3cSpanId = /^(?!0{16})[0-9a-f]{16}$/

// The two 32-bit words of a 16-hex span id, to mix child ids from (see `SpanIds.childSpanIdOf`).
const wordsOf = (spanId: string): readonly [number, number] => [
  Number.parseInt(spanId.slice(0, 8), 16) >>> 0,
  Number.parseInt(spanId.slice(8, 16), 16) >>> 0
]

/** `error.type`: a few predictable values Victor's errors fall in, else `_OTHER` (as the semantic conventions ask). */
/**
 * The ids of the tool calls an agent's model asked for, turn after turn (`tool_call_ids` of its `model_calls`): the
 * k-th is the id of the node's k-th tool call record, since the agent runs them in the order asked.
 */
const toolCallIdsOf = (calls: ReadonlyArray<unknown>): Array<string | undefined> => {
  const ids: Array<string | undefined> = []
  for (const call of calls) {
    const requested = typeof call === "object" && call !== null
      ? (call as Record<string, unknown>)["tool_call_ids"]
      : undefined
    if (!Array.isArray(requested)) continue
    for (const id of requested) ids.push(typeof id === "string" && id !== "" ? id : undefined)
  }
  return ids
}

// The attributes of an MCP client span that an `execute_tool` span takes over: the GenAI ones are the exporter's own,
// `code.*` says where the Effect span was made, and `error.type` decides the failure's type instead.
const foldsIntoToolCall = (key: string): boolean =>
  !key.startsWith("gen_ai.") && !key.startsWith("code.") && key !== "error.type"

/**
 * The `tools/call` client span of an MCP tool call (`@victor/mcp/McpServers` makes it), when the call holds one at its
 * top level: the MCP conventions put its attributes on the `execute_tool` span instead of a second span.
 */
const mcpSpanOf = (spans: ReadonlyArray<SpanRecord> | undefined): SpanRecord | undefined => {
  if (spans === undefined) return undefined
  for (const span of spans) {
    if (span.attributes["mcp.method.name"] !== "tools/call") continue
    if (span.parentSpanId === null || !spans.some((other) => other.spanId === span.parentSpanId)) return span
  }
  return undefined
}

const errorTypeOf = (error: string | null): string =>
  error === "cancelled" ? "cancelled" : error !== null && / timed out after /.test(error) ? "timeout" : "_OTHER"

const makePlan = (trace: WorkflowTrace, options: Options): Plan => {
  const limit = options.maxAttributeLength === undefined || !(options.maxAttributeLength >= 0)
    ? defaultMaxAttributeLength
    : Math.floor(options.maxAttributeLength)
  const payloads = options.payloads !== false
  const resource = resourceFromAttributes({
    ...options.resourceAttributes,
    "service.name": options.serviceName ?? defaultServiceName
  })
  const victorTraceId = trace.traceId

  // Cut to the limit, never inside a surrogate pair.
  const text = (value: string): string => {
    if (value.length <= limit) return value
    const cut = limit > 0 && (value.charCodeAt(limit - 1) & 0xfc00) === 0xd800 ? limit - 1 : limit
    return value.slice(0, cut)
  }
  // A payload as JSON, or nothing when empty (nothing to say) or when payloads are off.
  const json = (value: unknown): string | undefined => {
    if (!payloads || value === null || value === undefined) return undefined
    if (typeof value === "object" && isEmpty(value)) return undefined
    try {
      const encoded = JSON.stringify(value)
      return encoded === undefined ? undefined : text(encoded)
    } catch (cause) {
      return text(`[not JSON: ${cause instanceof Error ? cause.message : String(cause)}]`)
    }
  }
  const failure = (
    attributes: Attributes,
    message: string,
    errorType: string,
    end: HrTime
  ): { status: SpanStatus; events: Array<TimedEvent> } => {
    attributes["error.type"] = errorType
    const description = text(message)
    return {
      status: { code: SpanStatusCode.ERROR, message: description },
      events: [{ name: "exception", time: end, attributes: { "exception.message": description } }]
    }
  }

  // The run's span, joining the caller's trace when there is one.
  const caller = callerOf(trace)
  const traceId = caller === undefined ? TraceContext.traceIdOf(victorTraceId) : caller.traceId
  const traceFlags = caller === undefined ? TraceFlags.SAMPLED : Number.parseInt(caller.flags, 16) & 0xff
  const rootContext: SpanContext = { traceId, spanId: rootSpanIdOf(victorTraceId), traceFlags }
  const callerContext: SpanContext | undefined = caller === undefined
    ? undefined
    : { traceId, spanId: caller.parentId, traceFlags, isRemote: true }

  const nodes = trace.nodes
  let lastEnd = trace.startTime + Math.max(0, trace.durationSeconds)
  for (const node of nodes) lastEnd = Math.max(lastEnd, node.timestamp + Math.max(0, node.durationSeconds))
  const rootStart = hrTime(trace.startTime)
  const rootEnd = hrTime(trace.endTime ?? lastEnd)
  const rootAttributes: Attributes = {
    "gen_ai.operation.name": "invoke_workflow",
    "gen_ai.workflow.name": text(trace.workflowName),
    "victor.workflow.name": text(trace.workflowName),
    "victor.trace_id": text(victorTraceId),
    "victor.status": trace.status
  }
  if (trace.parentTraceId !== null) rootAttributes["victor.parent_trace_id"] = text(trace.parentTraceId)
  const workflowInputs = json(trace.inputs)
  if (workflowInputs !== undefined) rootAttributes["victor.workflow.inputs"] = workflowInputs
  const workflowOutputs = json(trace.outputs)
  if (workflowOutputs !== undefined) rootAttributes["victor.workflow.outputs"] = workflowOutputs
  const rootOutcome = trace.status === "failed"
    ? failure(rootAttributes, trace.error ?? "failed", errorTypeOf(trace.error), rootEnd)
    : trace.status === "cancelled" || trace.status === "incomplete"
    ? failure(rootAttributes, trace.error ?? trace.status, trace.status, rootEnd)
    : { status: unset, events: noEvents }
  const root = new Span(
    `invoke_workflow ${text(trace.workflowName)}`,
    SpanKind.INTERNAL,
    rootContext,
    callerContext,
    rootStart,
    rootEnd,
    rootOutcome.status,
    rootAttributes,
    rootOutcome.events,
    resource,
    scope
  )

  // Every node's span context, up front: a parallel child's parent may come later in trace order. The words of
  // each node's span id are kept for its calls' ids.
  const parents = parentsOf(nodes)
  const contexts = new Array<SpanContext>(nodes.length)
  const words = new Uint32Array(2 * nodes.length)
  const nodeSpanIdOf = SpanIds.nodeSpanIds(victorTraceId)
  const seen = new Set<string>([rootContext.spanId])
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    const iteration = positive(node.metadata["iteration"]) ?? 1
    const attempt = positive(node.metadata["attempt"]) ?? 1
    let spanId = nodeSpanIdOf(node.nodeId, iteration, attempt, words, i)
    // Only a trace recorded by hand repeats an id, iteration and attempt: its later records are told apart by place.
    if (seen.has(spanId)) spanId = nodeSpanIdOf(`${node.nodeId}\u0000#${i}`, iteration, attempt, words, i)
    seen.add(spanId)
    contexts[i] = { traceId, spanId, traceFlags }
  }

  // The `model_call_completed` events of each node id, in order, to time model calls (their records hold only a
  // duration); each node id's events are taken in turn by its records, which complete in the same order.
  let modelEvents: Map<string, { readonly events: Array<ExecutionEvent>; next: number }> | undefined
  const modelEventsOf = (nodeId: string) => {
    if (modelEvents === undefined) {
      modelEvents = new Map()
      for (const event of trace.events) {
        if (event.eventType !== "model_call_completed" || event.nodeId === undefined) continue
        const entry = modelEvents.get(event.nodeId)
        if (entry === undefined) modelEvents.set(event.nodeId, { events: [event], next: 0 })
        else entry.events.push(event)
      }
    }
    return modelEvents.get(nodeId)
  }

  const addModelCalls = (
    node: NodeTraceRecord,
    calls: ReadonlyArray<unknown>,
    parent: SpanContext,
    index: number,
    out: Array<ReadableSpan>
  ) => {
    const start = node.timestamp
    const end = start + Math.max(0, node.durationSeconds)
    const timed = modelEventsOf(node.nodeId)
    // This record's events: those inside its interval, from where the previous record of the id stopped.
    const mine: Array<ExecutionEvent> = []
    if (timed !== undefined) {
      while (timed.next < timed.events.length && timed.events[timed.next]!.timestamp < start - 1e-6) timed.next++
      while (timed.next < timed.events.length && timed.events[timed.next]!.timestamp <= end + 1e-6) {
        mine.push(timed.events[timed.next]!)
        timed.next++
      }
    }
    const provider = typeof node.inputs["provider"] === "string" ? text(node.inputs["provider"]) : undefined
    // Without events, calls are laid end to end from the node's start.
    let cursor = start
    for (let k = 0; k < calls.length; k++) {
      const call = calls[k]
      if (typeof call !== "object" || call === null || Array.isArray(call)) continue
      const record = call as Record<string, unknown>
      const model = typeof record["model"] === "string" ? text(record["model"]) : "unknown"
      const duration = Math.max(0, finite(record["duration_seconds"]) ?? 0)
      const event = mine[k]
      const callEnd = event === undefined ? cursor + duration : event.timestamp
      const callStart = callEnd - (event === undefined ? duration : Math.max(0, event.durationSeconds ?? duration))
      cursor = callEnd
      const attributes: Attributes = { "gen_ai.operation.name": "chat" }
      if (provider !== undefined) attributes["gen_ai.provider.name"] = provider
      attributes["gen_ai.request.model"] = model
      attributes["gen_ai.response.model"] = model
      const inputTokens = finite(record["input_tokens"])
      if (inputTokens !== undefined) attributes["gen_ai.usage.input_tokens"] = inputTokens
      const outputTokens = finite(record["output_tokens"])
      if (outputTokens !== undefined) attributes["gen_ai.usage.output_tokens"] = outputTokens
      if (typeof record["finish_reason"] === "string") {
        attributes["gen_ai.response.finish_reasons"] = [text(record["finish_reason"])]
      }
      const turn = positive(record["turn"])
      if (turn !== undefined) attributes["victor.turn"] = turn
      out.push(
        new Span(
          `chat ${model}`,
          SpanKind.CLIENT,
          {
            traceId,
            spanId: SpanIds.childSpanIdOf(words[2 * index]!, words[2 * index + 1]!, SpanIds.kind.model, k),
            traceFlags
          },
          parent,
          hrTime(callStart),
          hrTime(callEnd),
          unset,
          attributes,
          noEvents,
          resource,
          scope
        )
      )
    }
  }

  const addToolCall = (
    call: ToolCallRecord,
    k: number,
    callId: string | undefined,
    parent: SpanContext,
    index: number,
    out: Array<ReadableSpan>
  ) => {
    const name = text(call.toolName)
    const end = hrTime(call.timestamp + Math.max(0, call.durationSeconds))
    const args = json(call.inputs)
    const result = json(call.outputs)
    // The usual case in one literal, so that the object is built with its fields in place.
    const attributes: Attributes = args !== undefined && result !== undefined && call.success
      ? {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.arguments": args,
        "gen_ai.tool.call.result": result
      }
      : { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name, "gen_ai.tool.type": "function" }
    if (callId !== undefined) attributes["gen_ai.tool.call.id"] = text(callId)
    if (attributes["gen_ai.tool.call.result"] === undefined) {
      if (args !== undefined) attributes["gen_ai.tool.call.arguments"] = args
      // The conventions' result is a successful call's; a failed call's outputs (its evidence) are Victor's own.
      if (result !== undefined) attributes[call.success ? "gen_ai.tool.call.result" : "victor.tool.outputs"] = result
    }
    const mcp = mcpSpanOf(call.spans)
    let mcpErrorType: string | undefined
    if (mcp !== undefined) {
      for (const key in mcp.attributes) {
        if (foldsIntoToolCall(key)) attributes[key] = attributeValue(mcp.attributes[key])
      }
      const errorType = mcp.attributes["error.type"]
      if (typeof errorType === "string" && errorType !== "") mcpErrorType = text(errorType)
    }
    const outcome = call.success
      ? { status: unset, events: noEvents }
      : failure(attributes, call.error ?? "failed", mcpErrorType ?? errorTypeOf(call.error), end)
    const events = mcp?.events === undefined || mcp.events.length === 0
      ? outcome.events
      : [...eventsOf(mcp), ...outcome.events]
    const spanId = SpanIds.childSpanIdOf(words[2 * index]!, words[2 * index + 1]!, SpanIds.kind.tool, k)
    const context: SpanContext = { traceId, spanId, traceFlags }
    out.push(
      new Span(
        `execute_tool ${name}`,
        SpanKind.INTERNAL,
        context,
        parent,
        hrTime(call.timestamp),
        end,
        outcome.status,
        attributes,
        events,
        resource,
        scope
      )
    )
    const rest = mcp === undefined ? call.spans : call.spans!.filter((span) => span !== mcp)
    if (rest !== undefined && rest.length > 0) addEffectSpans(rest, context, wordsOf(spanId), out)
  }

  const addNode = (index: number, out: Array<ReadableSpan>) => {
    const node = nodes[index]!
    const context = contexts[index]!
    const parent = parents[index]! >= 0 ? contexts[parents[index]!]! : rootContext
    const metadata = node.metadata
    const isAgent = node.nodeType === "agent"
    const unfinished = metadata["unfinished"] === true
    const errorType = unfinished ? "incomplete" : errorTypeOf(node.error)
    const end = hrTime(node.timestamp + Math.max(0, node.durationSeconds))
    const nodeId = text(node.nodeId)
    const status = node.success
      ? (unfinished ? "running" : "succeeded")
      : errorType === "cancelled" || errorType === "incomplete"
      ? errorType
      : "failed"
    const iteration = positive(metadata["iteration"]) ?? 1
    const inputs = json(node.inputs)
    const outputs = json(node.outputs)
    // The usual case in one literal, so that the object is built with its fields in place.
    const attributes: Attributes = isAgent
      ? {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": nodeId,
        "victor.node.id": nodeId,
        "victor.node.type": "agent",
        "victor.iteration": iteration,
        "victor.status": status
      }
      : inputs !== undefined && outputs !== undefined
      ? {
        "victor.node.id": nodeId,
        "victor.node.type": text(node.nodeType),
        "victor.iteration": iteration,
        "victor.status": status,
        "victor.node.inputs": inputs,
        "victor.node.outputs": outputs
      }
      : { "victor.node.id": nodeId, "victor.node.type": text(node.nodeType), "victor.iteration": iteration, "victor.status": status }
    if (isAgent && typeof node.inputs["provider"] === "string") {
      attributes["gen_ai.provider.name"] = text(node.inputs["provider"])
    }
    const attempt = positive(metadata["attempt"])
    if (attempt !== undefined && attempt > 1) attributes["victor.attempt"] = attempt
    if (typeof metadata["child_trace_id"] === "string") {
      attributes["victor.child_trace_id"] = text(metadata["child_trace_id"])
    }
    if (inputs !== undefined && attributes["victor.node.inputs"] === undefined) attributes["victor.node.inputs"] = inputs
    if (outputs !== undefined && attributes["victor.node.outputs"] === undefined) {
      attributes["victor.node.outputs"] = outputs
    }
    const outcome = node.success
      ? { status: unset, events: noEvents }
      : failure(attributes, node.error ?? "failed", errorType, end)
    out.push(
      new Span(
        isAgent ? `invoke_agent ${nodeId}` : `${text(node.nodeType)} ${nodeId}`,
        SpanKind.INTERNAL,
        context,
        parent,
        hrTime(node.timestamp),
        end,
        outcome.status,
        attributes,
        outcome.events,
        resource,
        scope
      )
    )
    const calls = metadata["model_calls"]
    const hasCalls = Array.isArray(calls) && calls.length > 0
    const toolCalls = node.toolCalls
    const effectSpans = node.spans
    if (!hasCalls && toolCalls.length === 0 && effectSpans === undefined) return
    if (hasCalls) addModelCalls(node, calls, context, index, out)
    const callIds = hasCalls && toolCalls.length > 0 ? toolCallIdsOf(calls) : undefined
    for (let k = 0; k < toolCalls.length; k++) addToolCall(toolCalls[k]!, k, callIds?.[k], context, index, out)
    if (effectSpans !== undefined && effectSpans.length > 0) {
      addEffectSpans(effectSpans, context, [words[2 * index]!, words[2 * index + 1]!], out)
    }
  }

  // An Effect span's attribute as OpenTelemetry takes it: a string (cut to the limit), number, boolean or array of
  // one of them; any other value as its JSON.
  const attributeValue = (value: unknown): AttributeValue => {
    if (typeof value === "string") return text(value)
    if (typeof value === "number" || typeof value === "boolean") return value
    if (Array.isArray(value) && value.length > 0) {
      const kind = typeof value[0]
      const primitive = kind === "string" || kind === "number" || kind === "boolean"
      if (primitive && value.every((item) => typeof item === kind)) {
        return kind === "string" ? value.map((item: string) => text(item)) : value as AttributeValue
      }
    }
    try {
      return text(JSON.stringify(value) ?? "null")
    } catch (cause) {
      return text(`[not JSON: ${cause instanceof Error ? cause.message : String(cause)}]`)
    }
  }
  const effectAttributes = (values: Readonly<Record<string, unknown>>): Attributes => {
    const attributes: Attributes = {}
    for (const key in values) attributes[key] = attributeValue(values[key])
    return attributes
  }
  const eventsOf = (span: SpanRecord): Array<TimedEvent> =>
    span.events === undefined ? [] : span.events.map((event) => ({
      name: text(event.name),
      time: hrTime(event.timestamp),
      attributes: effectAttributes(event.attributes)
    }))

  // The span ids Effect spans went out with, so that a file repeating one (or a node's) still gives unique ids.
  const effectIds = new Set<string>()
  const uniqueId = (recorded: string, holder: readonly [number, number], position: number): string => {
    if (w3cSpanId.test(recorded) && !seen.has(recorded) && !effectIds.has(recorded)) {
      effectIds.add(recorded)
      return recorded
    }
    let id = SpanIds.childSpanIdOf(holder[0], holder[1], SpanIds.kind.span, position)
    for (let k = 1; seen.has(id) || effectIds.has(id); k++) {
      id = SpanIds.childSpanIdOf(holder[0], holder[1], SpanIds.kind.span, position + k * 0x10000)
    }
    effectIds.add(id)
    return id
  }

  // The Effect spans of one holder, parents first: a span whose parent is not in the array (or that a cycle of
  // parents in a hand-made file would leave without one) is the holder's child (see `WorkflowTrace.spanTree`).
  const addEffectSpans = (
    spans: ReadonlyArray<SpanRecord>,
    holder: SpanContext,
    holderWords: readonly [number, number],
    out: Array<ReadableSpan>
  ) => {
    const placed = spanTree(spans)
    const enclosing: Array<SpanContext> = []
    for (let k = 0; k < placed.length; k++) {
      const { depth, span } = placed[k]!
      const context: SpanContext = { traceId, spanId: uniqueId(span.spanId, holderWords, k), traceFlags }
      enclosing.length = depth
      enclosing.push(context)
      const end = hrTime(span.timestamp + Math.max(0, span.durationSeconds))
      const attributes = effectAttributes(span.attributes)
      const events = eventsOf(span)
      let status = unset
      if (!span.success) {
        const outcome = failure(attributes, span.error ?? "failed", errorTypeOf(span.error), end)
        status = outcome.status
        events.push(...outcome.events)
      }
      out.push(
        new Span(
          text(span.name),
          spanKinds[span.kind] ?? SpanKind.INTERNAL,
          context,
          depth === 0 ? holder : enclosing[depth - 1]!,
          hrTime(span.timestamp),
          end,
          status,
          attributes,
          events.length === 0 ? noEvents : events,
          resource,
          scope
        )
      )
    }
  }

  const addRunSpans = (out: Array<ReadableSpan>) => {
    if (trace.spans !== undefined && trace.spans.length > 0) {
      addEffectSpans(trace.spans, rootContext, wordsOf(rootContext.spanId), out)
    }
  }

  return { root, addRunSpans, addNode }
}
