import { describe, expect, it } from "@effect/vitest"
import type * as ExecutionEvent from "@victor/core/ExecutionEvent"
import type * as Journal from "@victor/core/Journal"
import * as Redaction from "@victor/core/Redaction"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as TraceJournals from "@victor/core/TraceJournals"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

// A store whose journal wants entries (as the file store's does) and takes a few turns of the scheduler to write
// them, as a write to the OS does: what it holds at any moment is what a crash at that moment would leave.
const makeJournalingStore = Effect.map(TraceStore.makeMemory, (memory) => {
  const written: Array<Journal.JournalEntry> = []
  const state = { final: undefined as WorkflowTrace.WorkflowTrace | undefined }
  const store: TraceStore.TraceStore["Type"] & TraceJournals.TraceJournals["Type"] = {
    ...memory,
    recover: Effect.succeed([]),
    begin: (header) =>
      Effect.succeed({
        traceId: header.traceId,
        append: (entries) =>
          Effect.gen(function*() {
            for (let i = 0; i < 3; i++) yield* Effect.yieldNow()
            written.push(...entries)
          }),
        finish: (trace) =>
          Effect.gen(function*() {
            yield* Effect.yieldNow()
            state.final = trace
            yield* memory.save(trace)
          }),
        abandon: Effect.void
      })
  }
  return { store, written, state }
})

const sameEvent = (a: ExecutionEvent.ExecutionEvent, b: ExecutionEvent.ExecutionEvent) =>
  a.eventType === b.eventType && a.timestamp === b.timestamp && a.nodeId === b.nodeId && a.toolName === b.toolName

describe("stored before said", () => {
  it.effect("a handler sees an event, a node or a tool call only once the journal holds it, and the end once stored", () =>
    Effect.gen(function*() {
      const { state, store, written } = yield* makeJournalingStore
      const unstored: Array<string> = []
      const seen: Array<string> = []
      const isWritten = (event: ExecutionEvent.ExecutionEvent) =>
        written.some((entry) => entry._tag === "Event" && sameEvent(entry.event, event))
      const handler = TraceHandler.make("checker", {
        onEvent: (event) =>
          Effect.sync(() => {
            seen.push(event.eventType)
            if (event.eventType === "workflow_completed") {
              if (state.final?.status !== "succeeded") unstored.push("workflow_completed before the final trace")
            } else if (!isWritten(event)) unstored.push(`${event.eventType} ${event.nodeId ?? ""}`)
          }),
        onNodeComplete: (node) =>
          Effect.sync(() => {
            const stored = written.some((entry) => entry._tag === "Node" && entry.node.nodeId === node.nodeId)
            if (!stored) unstored.push(`node record ${node.nodeId}`)
          }),
        onToolCall: (call, nodeId) =>
          Effect.sync(() => {
            const stored = written.some((entry) =>
              (entry._tag === "ToolCall" && entry.nodeId === nodeId && entry.toolCall.toolName === call.toolName) ||
              (entry._tag === "Node" && entry.node.nodeId === nodeId && entry.node.toolCalls.includes(call))
            )
            if (!stored) unstored.push(`tool call ${call.toolName} of ${nodeId}`)
          })
      })
      const run = Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName: "checked", inputs: { task: "x" } })
        // Nodes on several fibers at once: their flushes interleave.
        yield* Effect.forEach(
          Array.from({ length: 12 }, (_, i) => i),
          (i) =>
            tracer.withNode(
              { nodeId: `n${i}`, nodeType: "compute" },
              tracer.withToolCall("echo", { i }, Effect.succeed({ i }))
            ),
          { concurrency: 4, discard: true }
        )
        yield* tracer.startNode({ nodeId: "manual", nodeType: "agent" })
        yield* tracer.traceToolCall({ toolName: "read", durationSeconds: 0.1 })
        yield* tracer.recordEvent("state_captured", { nodeId: "manual", data: { step: 1 } })
        yield* tracer.endNode({ outputs: { done: true } })
        yield* tracer.traceNode({ nodeId: "past", nodeType: "tool", toolCalls: [{ toolName: "grep" }] })
        return yield* tracer.endTrace()
      })
      const trace = yield* run.pipe(
        TraceHandler.provideMore(handler),
        Effect.provide(WorkflowTracer.layer().pipe(Layer.provide(Layer.merge(Layer.succeed(TraceStore.TraceStore, store), Layer.succeed(TraceJournals.TraceJournals, store)))))
      )
      expect(unstored).toEqual([])
      expect(trace.status).toBe("succeeded")
      expect(seen[0]).toBe("workflow_started")
      expect(seen[seen.length - 1]).toBe("workflow_completed")
      expect(seen.filter((kind) => kind === "node_completed")).toHaveLength(14)
    }))

  it.effect("with redaction on, what is written is redacted before a handler sees it", () =>
    Effect.gen(function*() {
      const { store, written } = yield* makeJournalingStore
      // Handlers that fail are only logged, so what they find is kept and checked afterwards.
      const writtenWhenSeen: Array<number> = []
      const handler = TraceHandler.make("checker", {
        onEvent: (event) =>
          Effect.sync(() => {
            if (event.eventType === "tool_call_started") writtenWhenSeen.push(written.length)
          })
      })
      yield* Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName: "redacted" })
        yield* tracer.withNode(
          { nodeId: "n", nodeType: "compute", inputs: { password: "hunter2-secret" } },
          tracer.withToolCall("echo", {}, Effect.succeed({}))
        )
        yield* tracer.endTrace()
      }).pipe(
        TraceHandler.provideMore(handler),
        Effect.provide(Layer.mergeAll(
          WorkflowTracer.layer().pipe(Layer.provide(Layer.merge(Layer.succeed(TraceStore.TraceStore, store), Layer.succeed(TraceJournals.TraceJournals, store)))),
          Redaction.layer(Redaction.defaults({}))
        ))
      )
      expect(writtenWhenSeen).toHaveLength(1)
      expect(writtenWhenSeen[0]).toBeGreaterThan(2)
      expect(JSON.stringify(written)).toContain("[REDACTED]")
      expect(JSON.stringify(written)).not.toContain("hunter2")
    }))
})
