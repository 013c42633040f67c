/**
 * The tracer's error and how failures become the one-line error text of a record. Defined here, apart from
 * `WorkflowTracer.ts` (which re-exports them), so that the tracer's internal modules use them without importing the
 * public module that assembles them.
 */
import * as Cause from "effect/Cause"
import * as Schema from "effect/Schema"

/** Why a tracer call could not be honoured. */
export const TracerErrorReason = Schema.Literal("NoActiveTrace", "NoOpenNode", "NoTrace")

/** A tracer call was made out of order (a node without a trace, `endNode` without `startNode`, ...). */
export class TracerError extends Schema.TaggedError<TracerError>()("TracerError", {
  reason: TracerErrorReason,
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/** A node, tool call or event outside any trace. */
export const noActiveTrace = new TracerError({
  reason: "NoActiveTrace",
  description: "no active trace: call startTrace first"
})

/** `endNode` or `annotateNode` outside any node of the fiber. */
export const noOpenNode = new TracerError({
  reason: "NoOpenNode",
  description: "no open node in this fiber: call startNode first"
})

/** `getTrace` before any trace started. */
export const noTrace = new TracerError({ reason: "NoTrace", description: "no trace has been started" })

/** Turns any failure into the one-line error text stored in a record. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "cancelled"
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") return describeUnknown(failure.value)
  const defect = Cause.dieOption(cause)
  if (defect._tag === "Some") return describeUnknown(defect.value)
  return Cause.pretty(cause).split("\n")[0] ?? "failed"
}

const describeUnknown = (value: unknown): string => {
  if (value instanceof Error) return value.message || value.name
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
