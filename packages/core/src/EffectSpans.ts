/**
 * Effect spans inside Victor traces: a layer that makes Effect's `Tracer` record the spans of `Effect.withSpan` (and
 * of `Effect.fn`, `Effect.useSpan`, the HTTP client of `@effect/platform`, ...) into the current Victor trace. A span
 * started in a fiber that is running a traced tool call (`WorkflowTracer.withToolCall`) belongs to that tool call;
 * else to the fiber's current node; else, inside a trace but outside any node, to the trace. So an
 * `Effect.withSpan("db.query")` inside a tool, a handler, a plugin or a program of one's own shows up under the tool
 * call or node it ran in, in the trace JSON (`spans`, schema version 2: see `WorkflowTrace`) and every export.
 *
 * A span is recorded when it ends, as a `WorkflowTrace.SpanRecord`: its name and kind; as its parent the enclosing
 * Effect span when that belongs to the same tool call, node or trace (else the holder itself is its parent); its
 * start and duration on the trace's own clock (so that it lines up with its node, under `TestClock` too); its
 * attributes as JSON values (`Json.fromUnknown`); how it ended (an interruption reads `"cancelled"`, as a node's
 * does); and its events (Effect turns a log inside a span into one), at most {@link MAX_EVENTS}. It then travels as a
 * tool call does: into its holder's record, the journal as it happens, and the final trace, each through the
 * redaction in front of every sink.
 *
 * Outside any Victor trace a span goes to the tracer installed before this one (Effect's own, or a user's
 * OpenTelemetry tracer), untouched, and so does every fiber step (`Tracer.context`): the bridge costs nothing until a
 * span is made. Provide this layer inside a layer that installs another tracer, so that it wraps that one.
 *
 * Ids: a span id is a random W3C span id (16 hex digits, as Effect's own tracer makes them), kept in the record and
 * used by the OTLP export; a span's trace id is the W3C trace id that export gives the trace, so a `traceparent`
 * Effect propagates from inside a node (the HTTP client does) points into the exported trace.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import {
  type ActiveTrace,
  addSpan,
  currentCursor,
  sameOwner,
  spanBridge,
  type SpanOwner,
  spanOwnerOf
} from "./internal/activeTrace.ts"
import * as Json from "./Json.ts"
import * as TraceContext from "./TraceContext.ts"
import type { SpanEvent, SpanRecord } from "./WorkflowTrace.ts"
import { describeCause } from "./WorkflowTracer.ts"

/** The most events a span keeps; the number of those left out goes into its `victor.dropped_events` attribute. */
export const MAX_EVENTS = 128

/** The attribute that says how many events a span left out (see {@link MAX_EVENTS}). */
export const DROPPED_EVENTS_ATTRIBUTE = "victor.dropped_events"

// The W3C trace id of each running trace, as the OTLP export computes it (a `trace_parent`'s, else the trace id's).
const w3cTraceIds = new WeakMap<ActiveTrace, string>()
const w3cTraceIdOf = (trace: ActiveTrace): string => {
  let id = w3cTraceIds.get(trace)
  if (id === undefined) {
    const caller = trace.traceParent === null ? undefined : TraceContext.parse(trace.traceParent)
    id = caller !== undefined && caller._tag === "Right" ? caller.right.traceId : TraceContext.traceIdOf(trace.traceId)
    w3cTraceIds.set(trace, id)
  }
  return id
}

const hex8 = (word: number): string => (word >>> 0).toString(16).padStart(8, "0")

// A random W3C span id: 16 hex digits, never all zeros.
const randomSpanId = (): string => {
  const high = Math.floor(Math.random() * 0x100000000)
  const low = Math.floor(Math.random() * 0x100000000)
  return high === 0 && low === 0 ? "0000000000000001" : hex8(high) + hex8(low)
}

// Attributes as a JSON object: every value through `Json.fromUnknown`, undefined ones left out.
const jsonAttributes = (entries: Iterable<readonly [string, unknown]>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of entries) if (value !== undefined) out[key] = Json.fromUnknown(value)
  return out
}

const noAttributes: Readonly<Record<string, unknown>> = Object.freeze({})

/** A span the bridge records into a Victor trace. Effect sees a `Tracer.Span` like any other. */
class VictorSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly sampled = true
  readonly spanId: string
  readonly traceId: string
  status: Tracer.SpanStatus
  readonly attributes = new Map<string, unknown>()
  readonly links: Array<Tracer.SpanLink>
  private events: Array<SpanEvent> | undefined = undefined
  private droppedEvents = 0
  // When it started, on the trace's clock.
  private readonly start: number

  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind,
    readonly owner: SpanOwner,
    readonly parentSpanId: string | null
  ) {
    this.spanId = randomSpanId()
    this.traceId = w3cTraceIdOf(owner.trace)
    this.links = links.slice()
    this.status = { _tag: "Started", startTime }
    this.start = owner.trace.now()
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.status._tag === "Ended") return
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
    const end = this.owner.trace.now()
    const attributes = jsonAttributes(this.attributes)
    if (this.droppedEvents > 0) attributes[DROPPED_EVENTS_ATTRIBUTE] = this.droppedEvents
    const record: SpanRecord = {
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: this.kind,
      timestamp: this.start,
      durationSeconds: Math.max(0, end - this.start),
      success: exit._tag === "Success",
      error: exit._tag === "Success" ? null : describeCause(exit.cause),
      attributes,
      ...(this.events === undefined ? {} : { events: this.events })
    }
    addSpan(this.owner, record)
  }

  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }

  event(name: string, _startTime: bigint, attributes?: Record<string, unknown>): void {
    if (this.status._tag === "Ended") return
    if (this.events !== undefined && this.events.length >= MAX_EVENTS) {
      this.droppedEvents++
      return
    }
    const event: SpanEvent = {
      name,
      timestamp: this.owner.trace.now(),
      attributes: attributes === undefined ? noAttributes : jsonAttributes(Object.entries(attributes))
    }
    if (this.events === undefined) this.events = [event]
    else this.events.push(event)
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    for (const link of links) this.links.push(link)
  }
}

// The tracers this module made, so that providing the layer twice does not wrap a bridge in another.
const bridges = new WeakSet<Tracer.Tracer>()

/**
 * A tracer that records spans started inside a Victor trace into it and hands every other span to `previous`. The
 * owner of a span is read from the fiber that starts it; a span started where no trace is open, but under a span
 * of a trace still running (passed as its parent), joins that span's holder.
 */
export const make = (previous: Tracer.Tracer): Tracer.Tracer => {
  if (bridges.has(previous)) return previous
  // From now on `withToolCall` marks the tool call running in its fiber (see `spanOwnerOf`).
  spanBridge.installed = true
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const fiber = Fiber.getCurrentFiber()
      const enclosing = parent._tag === "Some" && parent.value instanceof VictorSpan ? parent.value : undefined
      let owner = spanOwnerOf(fiber._tag === "Some" ? fiber.value.getFiberRef(currentCursor) : undefined)
      if (owner === undefined && enclosing !== undefined && !enclosing.owner.trace.ended) owner = enclosing.owner
      if (owner === undefined) return previous.span(name, parent, context, links, startTime, kind, options)
      const parentSpanId = enclosing !== undefined && sameOwner(enclosing.owner, owner) ? enclosing.spanId : null
      return new VictorSpan(name, parent, context, links, startTime, kind, owner, parentSpanId)
    },
    // Every step of every fiber runs through this: the previous tracer's own, bound, and nothing else.
    context: previous.context.bind(previous)
  })
  bridges.add(tracer)
  return tracer
}

/**
 * Makes Effect's `Tracer` record spans into the current Victor trace (see the module's header), wrapping the tracer
 * in context when the layer is built. The CLI runs every command with it.
 */
export const layer: Layer.Layer<never> = Layer.unwrapEffect(
  Effect.map(Effect.tracer, (previous) => Layer.setTracer(make(previous)))
)
