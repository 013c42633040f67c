/**
 * The model calls of a trace, as the report shows them: one per entry of a node record's `metadata.model_calls`
 * (what the workflow executor records for every turn of an agent: model, tokens, duration, finish reason), timed by
 * the record's `model_call_completed` events as the OTLP exporter times them (an entry holds only its duration), or
 * laid end to end from the record's start when there are no events. A record without that metadata (an older trace)
 * gets its calls from its `model_call_completed` events alone. A call's cost comes from the prices given to the
 * exporter; without a price for its model it has none.
 */
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"

/** The price of a model's tokens, per million tokens (in whatever currency the report is told to show). */
export interface ModelPrice {
  readonly input: number
  readonly output: number
}

/** Prices by model name; a name matches itself or, failing that, the longest key it starts with (`gpt-4o` prices `gpt-4o-2024-08-06`). */
export type Prices = Readonly<Record<string, ModelPrice>>

/** The model calls of a trace, in node order, then in the order each node made them (columns, one entry per call). */
export interface ModelCalls {
  readonly count: number
  /** The index of the node record that made the call. */
  readonly node: Array<number>
  readonly model: Array<string>
  /** When the call started, unix seconds. */
  readonly start: Array<number>
  readonly duration: Array<number>
  readonly inputTokens: Array<number | null>
  readonly outputTokens: Array<number | null>
  readonly cost: Array<number | null>
  readonly finishReason: Array<string | null>
  /** The entry's position in its record's `metadata.model_calls`, or -1 for a call known only from its event. */
  readonly entry: Array<number>
}

const EPSILON = 1e-6

const finite = (value: unknown): number | null => typeof value === "number" && Number.isFinite(value) ? value : null

const field = (object: unknown, key: string): unknown =>
  typeof object === "object" && object !== null && !Array.isArray(object)
    ? (object as Record<string, unknown>)[key]
    : undefined

/** The price of a model: its own, else the longest key it starts with; `undefined` without one. */
export const priceOf = (prices: Prices | undefined, cache: Map<string, ModelPrice | undefined>) => (model: string) => {
  if (prices === undefined) return undefined
  if (cache.has(model)) return cache.get(model)
  let found = Object.hasOwn(prices, model) ? prices[model] : undefined
  if (found === undefined) {
    let longest = -1
    for (const key in prices) {
      if (key.length > longest && model.startsWith(key)) {
        longest = key.length
        found = prices[key]
      }
    }
  }
  const valid = found !== undefined && Number.isFinite(found.input) && Number.isFinite(found.output) ? found : undefined
  cache.set(model, valid)
  return valid
}

const costOf = (price: ModelPrice | undefined, input: number | null, output: number | null): number | null =>
  price === undefined || (input === null && output === null)
    ? null
    : ((input ?? 0) * price.input + (output ?? 0) * price.output) / 1e6

/** The `model_call_completed` events of each node id, in time order. */
const eventsByNode = (events: ReadonlyArray<ExecutionEvent>): Map<string, Array<ExecutionEvent>> => {
  const out = new Map<string, Array<ExecutionEvent>>()
  for (const event of events) {
    if (event.eventType !== "model_call_completed" || event.nodeId === undefined) continue
    const list = out.get(event.nodeId)
    if (list === undefined) out.set(event.nodeId, [event])
    else list.push(event)
  }
  for (const list of out.values()) {
    for (let i = 1; i < list.length; i++) {
      if (list[i - 1]!.timestamp > list[i]!.timestamp) {
        list.sort((a, b) => a.timestamp - b.timestamp)
        break
      }
    }
  }
  return out
}

/** The events of a list that fall inside `[from, to]` (with a microsecond of slack). */
const within = (list: ReadonlyArray<ExecutionEvent>, from: number, to: number): Array<ExecutionEvent> => {
  let low = 0
  let high = list.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (list[middle]!.timestamp < from - EPSILON) low = middle + 1
    else high = middle
  }
  const out: Array<ExecutionEvent> = []
  for (let i = low; i < list.length && list[i]!.timestamp <= to + EPSILON; i++) out.push(list[i]!)
  return out
}

/** Every model call of a trace, timed and priced. */
export const modelCallsOf = (trace: WorkflowTrace, prices: Prices | undefined): ModelCalls => {
  const calls: ModelCalls = {
    count: 0,
    node: [],
    model: [],
    start: [],
    duration: [],
    inputTokens: [],
    outputTokens: [],
    cost: [],
    finishReason: [],
    entry: []
  }
  const price = priceOf(prices, new Map())
  const add = (
    node: number,
    model: string,
    start: number,
    duration: number,
    input: number | null,
    output: number | null,
    finish: string | null,
    entry: number
  ) => {
    calls.node.push(node)
    calls.model.push(model)
    calls.start.push(start)
    calls.duration.push(duration)
    calls.inputTokens.push(input)
    calls.outputTokens.push(output)
    calls.cost.push(costOf(price(model), input, output))
    calls.finishReason.push(finish)
    calls.entry.push(entry)
    ;(calls as { count: number }).count++
  }
  const nodes = trace.nodes
  let events: Map<string, Array<ExecutionEvent>> | undefined
  const eventsOf = (nodeId: string) => (events ??= eventsByNode(trace.events)).get(nodeId)
  let anyEvents: boolean | undefined
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    const entries = node.metadata["model_calls"]
    const hasEntries = Array.isArray(entries) && entries.length > 0
    if (!hasEntries) {
      // Only look for events when the trace has any: most traces have no model calls at all.
      anyEvents ??= trace.events.some((event) => event.eventType === "model_call_completed")
      if (!anyEvents) continue
    }
    const start = node.timestamp
    const end = start + Math.max(0, node.durationSeconds)
    const timed = eventsOf(node.nodeId)
    const mine = timed === undefined ? [] : within(timed, start, end)
    if (hasEntries) {
      let cursor = start
      for (let k = 0; k < entries.length; k++) {
        const entry = entries[k]
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) continue
        const model = typeof field(entry, "model") === "string" ? field(entry, "model") as string : "unknown"
        const duration = Math.max(0, finite(field(entry, "duration_seconds")) ?? 0)
        const event = mine[k]
        const callEnd = event === undefined ? cursor + duration : event.timestamp
        const callDuration = event === undefined ? duration : Math.max(0, event.durationSeconds ?? duration)
        cursor = callEnd
        const finish = field(entry, "finish_reason")
        add(
          i,
          model,
          callEnd - callDuration,
          callDuration,
          finite(field(entry, "input_tokens")),
          finite(field(entry, "output_tokens")),
          typeof finish === "string" ? finish : null,
          k
        )
      }
    } else {
      for (const event of mine) {
        const model = field(event.data, "model")
        const duration = Math.max(0, event.durationSeconds ?? 0)
        const finish = field(event.data, "finish_reason")
        add(
          i,
          typeof model === "string" ? model : "unknown",
          event.timestamp - duration,
          duration,
          finite(field(event.data, "input_tokens")),
          finite(field(event.data, "output_tokens")),
          typeof finish === "string" ? finish : null,
          -1
        )
      }
    }
  }
  return calls
}
