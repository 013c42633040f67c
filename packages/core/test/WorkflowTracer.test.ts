import { describe, expect, it } from "@effect/vitest"
import * as NodeLoop from "@victor/core/internal/nodeLoop"
import { expectGuideTraceStructure } from "@victor/core/testing/GuideTraceStructure"
import * as TraceAnalysis from "@victor/core/TraceAnalysis"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as TraceHistory from "@victor/core/TraceHistory"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"

const T0 = 1_700_000_000
const setTime = (seconds: number) => TestClock.setTime(seconds * 1000)

describe("WorkflowTracer", () => {
  it.effect("records the guide's basic usage with Clock timings and stores the trace", () =>
    Effect.gen(function*() {
      yield* setTime(T0)
      const tracer = yield* WorkflowTracer.WorkflowTracer
      const ref = yield* tracer.startTrace({
        workflowName: "my_workflow",
        inputs: { task: "fix bug" },
        metadata: { env: "production" }
      })
      yield* tracer.startNode({ nodeId: "agent_1", nodeType: "agent", inputs: { task: "fix bug" } })
      yield* TestClock.adjust(Duration.millis(500))
      yield* tracer.traceToolCall({
        toolName: "read_file",
        inputs: { path: "file.py" },
        outputs: { content: "def main(): ..." },
        durationSeconds: 0.5
      })
      yield* TestClock.adjust(Duration.seconds(2))
      const node = yield* tracer.endNode({ outputs: { analysis: "complete" } })
      yield* TestClock.adjust(Duration.seconds(8))
      const trace = yield* tracer.endTrace({ outputs: { result: "success" } })

      expect(trace).toMatchObject({
        traceId: ref.traceId,
        workflowName: "my_workflow",
        status: "succeeded",
        startTime: T0,
        endTime: T0 + 10.5,
        durationSeconds: 10.5,
        inputs: { task: "fix bug" },
        outputs: { result: "success" },
        metadata: { env: "production" }
      })
      expect(node).toMatchObject({ nodeId: "agent_1", timestamp: T0, durationSeconds: 2.5, success: true, error: null })
      expect(trace.nodes).toEqual([node])
      expect(node.toolCalls).toEqual([{
        toolName: "read_file",
        inputs: { path: "file.py" },
        outputs: { content: "def main(): ..." },
        durationSeconds: 0.5,
        success: true,
        error: null,
        timestamp: T0
      }])
      expect(trace.events.map((e) => e.eventType)).toEqual([
        "workflow_started",
        "node_started",
        "tool_call_completed",
        "node_completed",
        "workflow_completed"
      ])
      expect(yield* TraceHistory.get(ref.traceId)).toEqual(trace)
      expect(yield* TraceHistory.history()).toEqual([trace])
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("attaches tool calls of concurrent nodes to the node of their own fiber", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "parallel" })
      const branch = (id: string) =>
        tracer.withNode(
          { nodeId: id, nodeType: "compute" },
          Effect.gen(function*() {
            for (let i = 0; i < 3; i++) {
              yield* Effect.sleep(Duration.millis(10))
              yield* tracer.traceToolCall({ toolName: `${id}-tool`, inputs: { i } })
            }
          })
        )
      const fibers = yield* Effect.forEach(["a", "b", "c"], (id) => Effect.fork(branch(id)))
      yield* TestClock.adjust(Duration.millis(100))
      yield* Fiber.joinAll(fibers)
      const trace = yield* tracer.endTrace()
      expect(trace.nodes.map((n) => n.nodeId).sort()).toEqual(["a", "b", "c"])
      for (const node of trace.nodes) {
        expect(node.toolCalls.map((c) => c.toolName)).toEqual([1, 2, 3].map(() => `${node.nodeId}-tool`))
        expect(node.toolCalls.map((c) => c.inputs)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }])
      }
      const [a, b] = trace.nodes
      expect(a!.timestamp).toBeLessThan(b!.timestamp + b!.durationSeconds)
      expect(b!.timestamp).toBeLessThan(a!.timestamp + a!.durationSeconds)
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("withNode records failures, tool-call errors and fails the trace", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "failing" })
      const exit = yield* Effect.exit(tracer.withNode(
        { nodeId: "build", nodeType: "compute" },
        tracer.withToolCall("shell", { command: "false" }, Effect.fail("exit code 1"))
      ))
      expect(exit._tag).toBe("Failure")
      const trace = yield* tracer.endTrace()
      expect(trace.status).toBe("failed")
      expect(trace.nodes[0]).toMatchObject({ nodeId: "build", success: false, error: "exit code 1" })
      expect(trace.nodes[0]!.toolCalls[0]).toMatchObject({
        toolName: "shell",
        success: false,
        error: "exit code 1",
        inputs: { command: "false" }
      })
      expect(WorkflowTrace.getEventsByType(trace, "node_failed").map((e) => e.nodeId)).toEqual(["build"])
      expect(WorkflowTrace.getEventsByNode(trace, "build").map((e) => e.eventType)).toEqual([
        "node_started",
        "tool_call_started",
        "tool_call_failed",
        "node_failed"
      ])
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("traceNode takes pending tool calls (the guide's imperative style) and its own duration", () =>
    Effect.gen(function*() {
      yield* setTime(T0)
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "imperative" })
      yield* tracer.traceToolCall({ toolName: "read_file", durationSeconds: 0.5 })
      yield* TestClock.adjust(Duration.seconds(3))
      const node = yield* tracer.traceNode({
        nodeId: "agent_1",
        nodeType: "agent",
        durationSeconds: 2.5,
        toolCalls: [{ toolName: "write_file", durationSeconds: 1, success: false, error: "disk full" }],
        success: false,
        error: "disk full"
      })
      expect(node).toMatchObject({ timestamp: T0 + 0.5, durationSeconds: 2.5, success: false, error: "disk full" })
      expect(node.toolCalls.map((c) => [c.toolName, c.success])).toEqual([["read_file", true], ["write_file", false]])
      const analysis = TraceAnalysis.analyze(yield* tracer.endTrace())
      expect(analysis).toMatchObject({ totalNodes: 1, failedNodes: 1, totalToolCalls: 2, errorCount: 2 })
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("endTrace closes open nodes, and calls out of order fail with a TracerError", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      expect((yield* Effect.flip(tracer.startNode({ nodeId: "x", nodeType: "compute" }))).reason).toBe(
        "NoActiveTrace"
      )
      yield* tracer.startTrace({ workflowName: "cancelled" })
      expect((yield* Effect.flip(tracer.endNode())).reason).toBe("NoOpenNode")
      yield* tracer.startNode({ nodeId: "slow", nodeType: "compute" })
      const trace = yield* tracer.endTrace({ status: "cancelled" })
      expect(trace.status).toBe("cancelled")
      expect(trace.nodes[0]).toMatchObject({ nodeId: "slow", success: false, error: "cancelled" })
      expect(trace.events.at(-1)?.eventType).toBe("workflow_cancelled")
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("a tool call made after its node ended, by a fiber the node forked, still lands in the node's record", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "late" })
      const go = yield* Deferred.make<void>()
      const late = (toolName: string) =>
        Effect.fork(Effect.zipRight(Deferred.await(go), tracer.traceToolCall({ toolName })))
      const quiet = yield* tracer.withNode({ nodeId: "quiet", nodeType: "compute" }, late("ls"))
      const busy = yield* tracer.withNode(
        { nodeId: "busy", nodeType: "compute" },
        Effect.zipRight(tracer.traceToolCall({ toolName: "cat" }), late("grep"))
      )
      yield* tracer.withNode({ nodeId: "other", nodeType: "compute" }, Effect.void)
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(quiet)
      yield* Fiber.join(busy)
      const trace = yield* tracer.endTrace()
      expect(trace.nodes.map((n) => [n.nodeId, n.toolCalls.map((c) => c.toolName)])).toEqual([
        ["quiet", ["ls"]],
        ["busy", ["cat", "grep"]],
        ["other", []]
      ])
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  // Interruption, with and without trace handlers (the tracer closes nodes differently in the two cases).
  const noHandlers = WorkflowTracer.layerMemory()
  const withHandlers = Layer.merge(
    WorkflowTracer.layerMemory(),
    TraceHandler.layer(TraceHandler.make("quiet", { onNodeComplete: () => Effect.void }))
  )
  for (const [setup, layer] of [["without handlers", noHandlers], ["with handlers", withHandlers]] as const) {
    it.effect(`an interrupted node is closed as cancelled when it is interrupted, ${setup}`, () =>
      Effect.gen(function*() {
        yield* setTime(T0)
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName: "interrupted" })
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(tracer.withNode(
          { nodeId: "outer", nodeType: "parallel" },
          tracer.withNode(
            { nodeId: "inner", nodeType: "compute" },
            Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
          )
        ))
        yield* Deferred.await(started)
        yield* TestClock.adjust(Duration.seconds(2))
        yield* Fiber.interrupt(fiber)
        // Closed when interrupted, not when the trace ends later; innermost first.
        yield* TestClock.adjust(Duration.seconds(5))
        yield* tracer.withNode({ nodeId: "after", nodeType: "compute" }, tracer.traceToolCall({ toolName: "ls" }))
        const trace = yield* tracer.endTrace()
        expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error, n.durationSeconds])).toEqual([
          ["inner", false, "cancelled", 2],
          ["outer", false, "cancelled", 2],
          ["after", true, null, 0]
        ])
        expect(trace.nodes[2]!.toolCalls.map((c) => c.toolName)).toEqual(["ls"])
        expect(WorkflowTrace.getEventsByType(trace, "node_failed").map((e) => e.nodeId)).toEqual(["inner", "outer"])
      }).pipe(Effect.provide(layer)))

    it.effect(`a node interrupted inside an uninterruptible one is closed before it, ${setup}`, () =>
      Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName: "masked" })
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(Effect.uninterruptibleMask((restore) =>
          tracer.withNode(
            { nodeId: "outer", nodeType: "compute" },
            Effect.exit(restore(tracer.withNode(
              { nodeId: "inner", nodeType: "compute" },
              Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
            )))
          )
        ))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        const trace = yield* tracer.endTrace()
        expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error])).toEqual([
          ["inner", false, "cancelled"],
          ["outer", true, null]
        ])
      }).pipe(Effect.provide(layer)))
  }

  describe("withNode's fast path (no handlers: what the workflow executor runs per node)", () => {
    it.effect("records a node around its work, with its tool calls, outputs, failure and timing", () =>
      Effect.gen(function*() {
        yield* setTime(T0)
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName: "engine" })
        const result = yield* tracer.withNode(
          { nodeId: "work", nodeType: "compute", inputs: { n: 1 } },
          Effect.gen(function*() {
            yield* TestClock.adjust(Duration.seconds(3))
            yield* tracer.withToolCall("ls", {}, Effect.succeed({ files: 2 }))
            return { outputs: { done: true } }
          }),
          (result) => result
        )
        expect(result).toEqual({ outputs: { done: true } })
        const broken = yield* Effect.exit(
          tracer.withNode({ nodeId: "broken", nodeType: "compute" }, Effect.fail(new Error("disk gone")))
        )
        expect(broken._tag).toBe("Failure")
        // The fiber is back outside any node: a call now is not attached to "work".
        yield* tracer.traceToolCall({ toolName: "after" })
        yield* tracer.traceNode({ nodeId: "later", nodeType: "transform" })
        const trace = yield* tracer.endTrace()
        expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error, n.durationSeconds])).toEqual([
          ["work", true, null, 3],
          ["broken", false, "disk gone", 0],
          ["later", true, null, 0]
        ])
        expect(trace.nodes[0]).toMatchObject({ inputs: { n: 1 }, outputs: { done: true }, timestamp: T0 })
        expect(trace.nodes[0]!.toolCalls.map((c) => [c.toolName, c.outputs])).toEqual([["ls", { files: 2 }]])
        expect(trace.nodes[2]!.toolCalls.map((c) => c.toolName)).toEqual(["after"])
        expect(trace.events.map((e) => `${e.eventType}:${e.nodeId ?? e.toolName ?? ""}`)).toEqual([
          "workflow_started:",
          "node_started:work",
          "tool_call_started:work",
          "tool_call_completed:work",
          "node_completed:work",
          "node_started:broken",
          "node_failed:broken",
          "tool_call_completed:after",
          "node_started:later",
          "node_completed:later",
          "workflow_failed:"
        ])
      }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

    it.effect("fails with NoActiveTrace outside any trace, without running the work", () =>
      Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        let ran = false
        const error = yield* Effect.flip(
          tracer.withNode({ nodeId: "early", nodeType: "compute" }, Effect.sync(() => void (ran = true)))
        )
        expect(error.reason).toBe("NoActiveTrace")
        expect(ran).toBe(false)
      }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

    it.effect("closes a node abandoned by an interruption as cancelled when its fiber ends", () =>
      Effect.gen(function*() {
        yield* setTime(T0)
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName: "interrupted" })
        // A node first, so that the forked fiber inherits a cursor and takes the fast path.
        yield* tracer.withNode({ nodeId: "first", nodeType: "compute" }, Effect.void)
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(Effect.exit(tracer.withNode(
          { nodeId: "stuck", nodeType: "compute" },
          Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
        )))
        yield* Deferred.await(started)
        yield* TestClock.adjust(Duration.seconds(4))
        yield* Fiber.interrupt(fiber)
        yield* TestClock.adjust(Duration.seconds(6))
        const trace = yield* tracer.endTrace({ status: "cancelled" })
        expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error, n.durationSeconds])).toEqual([
          ["first", true, null, 0],
          ["stuck", false, "cancelled", 4]
        ])
      }).pipe(Effect.provide(WorkflowTracer.layerMemory())))
  })

  describe("NodeLoop (internal: withNode's fast path inlined into the workflow executor's loop)", () => {
    it.effect("records a node around its work, with its tool calls, outputs, failure and timing", () =>
      Effect.gen(function*() {
        yield* setTime(T0)
        const tracer = yield* WorkflowTracer.WorkflowTracer
        const loop = NodeLoop.of(tracer)!
        yield* tracer.startTrace({ workflowName: "engine" })
        const work = loop.open({ nodeId: "work", nodeType: "compute", inputs: { n: 1 } })
        expect(work?.nodeId).toBe("work")
        const exit = yield* Effect.exit(Effect.gen(function*() {
          yield* TestClock.adjust(Duration.seconds(3))
          yield* tracer.withToolCall("ls", {}, Effect.succeed({ files: 2 }))
          return { outputs: { done: true } }
        }))
        loop.close(work!, exit, (result) => result)
        const broken = loop.open({ nodeId: "broken", nodeType: "compute" })
        loop.close(broken!, yield* Effect.exit(Effect.fail(new Error("disk gone"))))
        // The fiber is back outside any node: a call now is not attached to "work".
        yield* tracer.traceToolCall({ toolName: "after" })
        const trace = yield* tracer.endTrace()
        expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error, n.durationSeconds])).toEqual([
          ["work", true, null, 3],
          ["broken", false, "disk gone", 0]
        ])
        expect(trace.nodes[0]).toMatchObject({ inputs: { n: 1 }, outputs: { done: true }, timestamp: T0 })
        expect(trace.nodes[0]!.toolCalls.map((c) => [c.toolName, c.outputs])).toEqual([["ls", { files: 2 }]])
        expect(trace.events.map((e) => `${e.eventType}:${e.nodeId ?? e.toolName ?? ""}`)).toEqual([
          "workflow_started:",
          "node_started:work",
          "tool_call_started:work",
          "tool_call_completed:work",
          "node_completed:work",
          "node_started:broken",
          "node_failed:broken",
          "tool_call_completed:after",
          "workflow_failed:"
        ])
      }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

    it.effect("leaves nodes that need effects to withNode: no trace, or a trace with handlers", () =>
      Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        const loop = NodeLoop.of(tracer)!
        expect(loop.open({ nodeId: "early", nodeType: "compute" })).toBeUndefined()
        yield* tracer.startTrace({ workflowName: "hooked" })
        expect(loop.open({ nodeId: "hooked", nodeType: "compute" })).toBeUndefined()
        expect((yield* tracer.endTrace()).nodes).toEqual([])
      }).pipe(
        Effect.provide(Layer.merge(
          WorkflowTracer.layerMemory(),
          TraceHandler.layer(TraceHandler.make("quiet", { onNodeComplete: () => Effect.void }))
        ))
      ))

    it.effect("belongs to Victor's withNode: a layer that keeps it keeps the loop, one that replaces it has none", () =>
      Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        expect(NodeLoop.of(tracer)).toBeDefined()
        expect(NodeLoop.of({ ...tracer, endTrace: tracer.endTrace })).toBe(NodeLoop.of(tracer))
        expect(NodeLoop.of({ ...tracer, withNode: (options, effect) => tracer.withNode(options, effect) }))
          .toBeUndefined()
        expect(NodeLoop.of(yield* Effect.provide(WorkflowTracer.WorkflowTracer, WorkflowTracer.layerNoop)))
          .toBeUndefined()
      }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

    it.effect("closes a node abandoned by an interruption as cancelled when its fiber ends", () =>
      Effect.gen(function*() {
        yield* setTime(T0)
        const tracer = yield* WorkflowTracer.WorkflowTracer
        const loop = NodeLoop.of(tracer)!
        yield* tracer.startTrace({ workflowName: "interrupted" })
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(Effect.gen(function*() {
          const node = loop.open({ nodeId: "stuck", nodeType: "compute" })
          const exit = yield* Effect.exit(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never))
          loop.close(node!, exit)
        }))
        yield* Deferred.await(started)
        yield* TestClock.adjust(Duration.seconds(4))
        yield* Fiber.interrupt(fiber)
        yield* TestClock.adjust(Duration.seconds(6))
        const trace = yield* tracer.endTrace({ status: "cancelled" })
        expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error, n.durationSeconds])).toEqual([
          ["stuck", false, "cancelled", 4]
        ])
      }).pipe(Effect.provide(WorkflowTracer.layerMemory())))
  })

  it.effect("calls every installed trace handler, and a failing handler does not break the run", () => {
    const seen: Array<string> = []
    const handlers = TraceHandler.layer(
      TraceHandler.make("broken", { onNodeComplete: () => Effect.die("boom") }),
      TraceHandler.make("recorder", {
        onEvent: (event) => Effect.sync(() => void seen.push(event.eventType)),
        onNodeComplete: (node) => Effect.sync(() => void seen.push(`node:${node.nodeId}`)),
        onToolCall: (call, nodeId) => Effect.sync(() => void seen.push(`tool:${call.toolName}@${nodeId}`))
      })
    )
    return Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "hooks" })
      yield* tracer.withNode({ nodeId: "n", nodeType: "compute" }, tracer.traceToolCall({ toolName: "ls" }))
      yield* tracer.endTrace()
      expect(seen).toEqual([
        "workflow_started",
        "node_started",
        "tool_call_completed",
        "tool:ls@n",
        "node_completed",
        "node:n",
        "workflow_completed"
      ])
    }).pipe(Effect.provide(Layer.merge(WorkflowTracer.layerMemory(), handlers)))
  })

  it.effect("events handlers see are the trace's events, in order; a snapshot keeps only what was logged by then", () => {
    const seen: Array<unknown> = []
    const recorder = TraceHandler.layer(
      TraceHandler.make("recorder", { onEvent: (event) => Effect.sync(() => void seen.push(event)) })
    )
    return Effect.gen(function*() {
      yield* setTime(T0)
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "events" })
      yield* tracer.startNode({ nodeId: "a", nodeType: "compute" })
      yield* TestClock.adjust(Duration.millis(250))
      yield* tracer.traceToolCall({ toolName: "ok", durationSeconds: 0.25 })
      yield* tracer.traceToolCall({ toolName: "bad", error: "exit 3" })
      const early = yield* tracer.getTrace
      yield* TestClock.adjust(Duration.millis(250))
      yield* tracer.endNode({ error: "a failed" })
      yield* tracer.recordEvent("node_skipped", { nodeId: "b" })
      yield* tracer.traceNode({ nodeId: "c", nodeType: "transform", toolCalls: [{ toolName: "ls" }] })
      const trace = yield* tracer.endTrace()

      expect(trace.events).toEqual(seen)
      expect(trace.events.map((e) => [e.eventType, e.nodeId ?? e.toolName ?? null])).toEqual([
        ["workflow_started", null],
        ["node_started", "a"],
        ["tool_call_completed", "a"],
        ["tool_call_failed", "a"],
        ["node_failed", "a"],
        ["node_skipped", "b"],
        ["node_started", "c"],
        ["tool_call_completed", "c"],
        ["node_completed", "c"],
        ["workflow_failed", null]
      ])
      expect(trace.events[3]!.timestamp).toBeCloseTo(T0 + 0.25, 6)
      expect(trace.events[3]).toEqual({
        eventType: "tool_call_failed",
        timestamp: trace.events[3]!.timestamp,
        toolName: "bad",
        status: "failed",
        durationSeconds: 0,
        error: "exit 3",
        nodeId: "a"
      })
      expect(trace.events[4]).toMatchObject({ eventType: "node_failed", error: "a failed" })
      expect(trace.events[4]!.timestamp).toBeCloseTo(T0 + 0.5, 6)
      expect(trace.events[4]!.durationSeconds).toBeCloseTo(0.5, 6)
      // Read only now, after the run went on: the running snapshot still holds the four events it was taken with.
      expect(early.events.map((e) => e.eventType)).toEqual([
        "workflow_started",
        "node_started",
        "tool_call_completed",
        "tool_call_failed"
      ])
      expect(WorkflowTrace.decodeUnknown(JSON.parse(JSON.stringify(WorkflowTrace.encode(trace))))).toBeDefined()
    }).pipe(Effect.provide(Layer.merge(WorkflowTracer.layerMemory(), recorder)))
  })

  it.effect("provideMore observes only the run it wraps", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      const seen: Array<string> = []
      const watcher = TraceHandler.make("watcher", {
        onEvent: (event, trace) => Effect.sync(() => void seen.push(`${trace.workflowName}:${event.eventType}`))
      })
      const run = (name: string) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: name })
          yield* tracer.endTrace()
        })
      yield* run("watched").pipe(TraceHandler.provideMore(watcher))
      yield* run("unwatched")
      expect(seen).toEqual(["watched:workflow_started", "watched:workflow_completed"])
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("encodes to the guide's JSON keys and decodes back", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "wire" })
      yield* tracer.withNode({ nodeId: "n", nodeType: "compute" }, tracer.traceToolCall({ toolName: "ls" }))
      const trace = yield* tracer.endTrace()
      const json = WorkflowTrace.encode(trace)
      expectGuideTraceStructure(JSON.parse(JSON.stringify(json)))
      expect(json.nodes![0]!.tool_calls![0]).toMatchObject({ tool_name: "ls", success: true, error: null })
      expect(yield* WorkflowTrace.decodeUnknown(JSON.parse(JSON.stringify(json)))).toEqual(trace)
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("decodes the guide's example trace, which lacks Victor-TS fields", () =>
    Effect.gen(function*() {
      const trace = yield* WorkflowTrace.decodeUnknown({
        trace_id: "abc-123-def",
        workflow_name: "my_workflow",
        start_time: 1640995200.0,
        end_time: 1640995210.5,
        duration_seconds: 10.5,
        inputs: { task: "fix bug" },
        outputs: { result: "success" },
        metadata: {},
        nodes: [{
          node_id: "node_1",
          node_type: "agent",
          timestamp: 1640995200.0,
          duration_seconds: 2.5,
          success: true,
          error: null,
          inputs: {},
          outputs: {},
          tool_calls: [{ tool_name: "read_file", duration_seconds: 0.5, success: true, error: null }]
        }]
      })
      expect(trace.status).toBe("succeeded")
      expect(trace.nodes[0]!.toolCalls[0]).toMatchObject({ toolName: "read_file", inputs: {}, outputs: {} })
      const bad = yield* Effect.flip(WorkflowTrace.decodeUnknown({ trace_id: 1, workflow_name: "x", start_time: 0 }))
      expect(bad.message).toContain("trace_id")
    }))

  it.effect("after endTrace, getTrace in that fiber returns its own trace while another fiber's trace is open", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      const otherStarted = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const other = yield* Effect.fork(Effect.gen(function*() {
        yield* tracer.startTrace({ workflowName: "other" })
        yield* Deferred.succeed(otherStarted, undefined)
        yield* Deferred.await(release)
        return yield* tracer.endTrace()
      }))
      yield* Deferred.await(otherStarted)
      const mine = yield* tracer.startTrace({ workflowName: "mine" })
      yield* tracer.withNode({ nodeId: "n", nodeType: "compute" }, Effect.void)
      yield* tracer.endTrace()
      const got = yield* tracer.getTrace
      expect(got).toMatchObject({ traceId: mine.traceId, workflowName: "mine", status: "succeeded" })
      yield* Deferred.succeed(release, undefined)
      expect((yield* Fiber.join(other)).workflowName).toBe("other")
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))

  it.effect("annotateNode adds metadata to the fiber's open node, kept when the node fails", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "annotated" })
      yield* Effect.exit(tracer.withNode(
        { nodeId: "agent", nodeType: "agent", metadata: { kind: "review" } },
        Effect.gen(function*() {
          yield* tracer.annotateNode({ model_calls: [{ turn: 1 }] })
          yield* tracer.annotateNode({ model_calls: [{ turn: 1 }, { turn: 2 }] })
          return yield* Effect.fail("provider unavailable")
        })
      ))
      const ok = yield* tracer.withNode(
        { nodeId: "plain", nodeType: "compute" },
        Effect.as(tracer.annotateNode({ rows: 3 }), "done"),
        () => ({ metadata: { finished: true } })
      )
      expect(ok).toBe("done")
      const trace = yield* tracer.endTrace()
      expect(trace.nodes.map((n) => [n.nodeId, n.success, n.metadata])).toEqual([
        ["agent", false, { kind: "review", model_calls: [{ turn: 1 }, { turn: 2 }] }],
        ["plain", true, { rows: 3, finished: true }]
      ])
      expect((yield* Effect.flip(tracer.annotateNode({ x: 1 }))).reason).toBe("NoOpenNode")
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))
})

describe("TraceStore.applyQuery", () => {
  it("keeps the most recent when limited", () => {
    const summaries = [3, 1, 2].map((t) => ({
      traceId: `t${t}`,
      workflowName: "w",
      status: "succeeded" as const,
      startTime: t,
      endTime: t,
      durationSeconds: 0,
      nodeCount: 0,
      failedNodeCount: 0
    }))
    expect(TraceStore.applyQuery(summaries, { limit: 2 }).map((s) => s.traceId)).toEqual(["t2", "t3"])
  })
})
