/**
 * The guide's "Custom Trace Handlers" example, the Effect way: instead of subclassing the tracer with
 * `on_node_complete` / `on_tool_call`, install trace handlers. `slowNodeAlerts` warns about nodes slower than a
 * threshold; `toolUsage` counts tool calls by name. Both keep what they see in a `Ref`, so a program can read it.
 */
import * as TraceHandler from "@victor/core/TraceHandler"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

/** Collects one warning per node slower than `thresholdSeconds` (and logs it). */
export const slowNodeAlerts = (thresholdSeconds: number) =>
  Effect.map(Ref.make<ReadonlyArray<string>>([]), (alerts) => ({
    alerts,
    handler: TraceHandler.make("slow-node-alerts", {
      onNodeComplete: (node) =>
        node.durationSeconds > thresholdSeconds
          ? Effect.zipRight(
            Ref.update(alerts, (all) => [...all, `WARNING: Slow node ${node.nodeId} (${node.durationSeconds.toFixed(2)}s)`]),
            Effect.logWarning(`slow node ${node.nodeId}`)
          )
          : Effect.void
    })
  }))

/** Counts tool calls by tool name (the guide's `self.tool_usage[tool_record.tool_name] += 1`). */
export const toolUsage = Effect.map(Ref.make<ReadonlyMap<string, number>>(new Map()), (usage) => ({
  usage,
  handler: TraceHandler.make("tool-usage", {
    onToolCall: (call) =>
      Ref.update(usage, (counts) => new Map(counts).set(call.toolName, (counts.get(call.toolName) ?? 0) + 1))
  })
}))
