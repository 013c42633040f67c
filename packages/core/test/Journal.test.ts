import { describe, expect, it } from "@effect/vitest"
import { ExecutionEvent } from "@victor/core/ExecutionEvent"
import * as Journal from "@victor/core/Journal"
import * as Payload from "@victor/core/Payload"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const decodeNode = Schema.decodeUnknownSync(WorkflowTrace.NodeTraceRecord)
const decodeEvent = Schema.decodeUnknownSync(ExecutionEvent)

describe("Journal", () => {
  it("the fast decoders accept what the Schema accepts, with the same defaults, and refuse what it refuses", () => {
    const nodes: Array<unknown> = [
      { node_id: "a", node_type: "agent", timestamp: 1, duration_seconds: 2, success: true },
      {
        node_id: "b",
        node_type: "compute",
        timestamp: 1,
        duration_seconds: 2,
        success: false,
        error: "x",
        inputs: null,
        outputs: { o: 1 },
        metadata: { m: [1] },
        extra: "ignored",
        tool_calls: [{ tool_name: "t", duration_seconds: 1, success: true, inputs: { i: 1 } }]
      }
    ]
    for (const json of nodes) expect(Journal.decodeNodeFast(json)).toEqual(decodeNode(json))
    for (const bad of [{ node_id: "a" }, { node_id: "a", node_type: "x", timestamp: 1, duration_seconds: 1, success: "yes" }]) {
      expect(Journal.decodeNodeFast(bad)).toBeUndefined()
      expect(() => decodeNode(bad)).toThrow()
    }
    const events: Array<unknown> = [
      { event_type: "node_started", timestamp: 1, node_id: "a" },
      { event_type: "tool_call_failed", timestamp: 1, tool_name: "t", status: "failed", duration_seconds: 1, error: "e", data: { d: 1 } }
    ]
    for (const json of events) expect(Journal.decodeEventFast(json)).toEqual(decodeEvent(json))
    expect(Journal.decodeEventFast({ event_type: "no_such_type", timestamp: 1 })).toBeUndefined()
    expect(Journal.decodeEventFast({ event_type: "node_started", timestamp: 1, node_id: null })).toBeUndefined()
  })

  it("parses a journal, skipping a line cut short by a crash, and notices an abandoned one", () => {
    const header = Journal.headerOf({
      traceId: "t",
      workflowName: "w",
      startTime: 10,
      inputs: { a: 1 },
      metadata: {},
      parentTraceId: null,
      traceParent: null
    })
    const text = [
      Journal.encodeHeader(header, { pid: 1, host: "h" }),
      Journal.encodeEntry(Journal.event({ eventType: "workflow_started", timestamp: 10 })),
      "{\"event\": {\"event_type\": \"node_sta"
    ].join("\n")
    const parsed = Journal.parse(text)
    expect(parsed._tag).toBe("Right")
    if (parsed._tag !== "Right") return
    expect(parsed.right).toMatchObject({ header, owner: { pid: 1, host: "h" }, skippedLines: 1, abandoned: false })
    expect(parsed.right.entries).toHaveLength(1)
    expect(Journal.parse(text + "\n" + Journal.ABANDONED_LINE + "\n")).toMatchObject({ right: { abandoned: true } })
    expect(Journal.parse("not a journal")._tag).toBe("Left")
    // The recovered trace reaches the last sign of life.
    const trace = Journal.rebuild(header, parsed.right.entries, "incomplete", 25)
    expect(trace).toMatchObject({ status: "incomplete", startTime: 10, endTime: 25, durationSeconds: 15 })
  })
})

describe("Payload", () => {
  const big = "y".repeat(100_000)
  const trace = (value: string): WorkflowTrace.WorkflowTrace => ({
    schemaVersion: 1,
    traceId: "t",
    workflowName: "w",
    status: "succeeded",
    startTime: 0,
    endTime: 1,
    durationSeconds: 1,
    error: null,
    inputs: {},
    outputs: { node: { shell: { stdout: value } } },
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes: [{
      nodeId: "n",
      nodeType: "compute",
      timestamp: 0,
      durationSeconds: 1,
      success: true,
      error: null,
      inputs: {},
      outputs: { shell: { stdout: value, exit_code: 0 } },
      toolCalls: [{
        toolName: "shell",
        inputs: {},
        outputs: { stdout: value },
        durationSeconds: 1,
        success: true,
        error: null,
        timestamp: 0
      }],
      metadata: {}
    }],
    events: []
  })

  it.effect("cuts a large value out where it is deepest, so every record shares one blob; resolve puts it back", () =>
    Effect.gen(function*() {
      const captured = yield* Payload.make().trace(trace(big))
      expect(captured.blobs).toHaveLength(1)
      const node = captured.trace.nodes[0]!
      expect((node.outputs["shell"] as Record<string, unknown>)["exit_code"]).toBe(0)
      expect(Payload.isBlobRef((node.outputs["shell"] as Record<string, unknown>)["stdout"])).toBe(true)
      const blobs = new Map(captured.blobs.map((b) => [b.sha256, new TextDecoder().decode(b.bytes)]))
      const resolved = yield* Payload.resolve(captured.trace, (hash) => Effect.succeed(blobs.get(hash)!))
      expect(resolved.nodes).toEqual(trace(big).nodes)
      expect(resolved.outputs).toEqual(trace(big).outputs)
      const small = trace("small")
      expect((yield* Payload.make().trace(small)).trace).toBe(small)
    }))
})
