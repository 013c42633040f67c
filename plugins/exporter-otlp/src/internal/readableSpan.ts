/**
 * Finished spans in the shape of the OpenTelemetry SDK's `ReadableSpan`, which is what the OTLP serializers of
 * `@opentelemetry/otlp-transformer` read. One class, so that every span has one hidden class and the serializer's
 * property reads stay monomorphic over a 100,000-node trace.
 */
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace"

/** The instrumentation scope the spans are reported under. */
export interface Scope {
  readonly name: string
  readonly version: string
}

const noLinks: Array<Link> = []

/** A finished span. */
export class Span implements ReadableSpan {
  readonly links: Array<Link> = noLinks
  readonly ended = true
  readonly droppedAttributesCount = 0
  readonly droppedEventsCount = 0
  readonly droppedLinksCount = 0
  declare readonly parentSpanContext?: SpanContext

  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    readonly context: SpanContext,
    parent: SpanContext | undefined,
    readonly startTime: HrTime,
    readonly endTime: HrTime,
    readonly status: SpanStatus,
    readonly attributes: Attributes,
    readonly events: Array<TimedEvent>,
    readonly resource: Resource,
    readonly instrumentationScope: Scope
  ) {
    // Always assigned (also when undefined), so that every span has the same shape.
    ;(this as { parentSpanContext?: SpanContext | undefined }).parentSpanContext = parent
  }

  spanContext(): SpanContext {
    return this.context
  }

  get duration(): HrTime {
    let seconds = this.endTime[0] - this.startTime[0]
    let nanos = this.endTime[1] - this.startTime[1]
    if (nanos < 0) {
      seconds -= 1
      nanos += 1e9
    }
    return [seconds, nanos]
  }
}

/**
 * Unix seconds (a float, as Victor records them) as an `HrTime`, rounded to the microsecond: a float of about 1.7e9
 * seconds holds a fraction to about a quarter of a microsecond, so finer digits would be noise.
 */
export const hrTime = (seconds: number): HrTime => {
  if (!Number.isFinite(seconds) || seconds <= 0) return [0, 0]
  const micros = Math.round(seconds * 1e6)
  const whole = Math.floor(micros / 1e6)
  return [whole, (micros - whole * 1e6) * 1000]
}
