/**
 * The WorkflowTracer contract suite: every tracer layer runs it (`testWorkflowTracer("memory", layer, { records:
 * true })`), so that a layer of one's own can stand in for Victor's wherever a tracer is used, the workflow executor
 * first. It asks for the recording members only, as the service has no others.
 *
 * Two kinds of layers, one suite:
 * - every layer runs the work it wraps, exactly once, and hands back its value, its failure, its defect or its
 *   interruption unchanged; and no call fails, whatever it records (a noop tracer records nothing, a counting one
 *   only counts);
 * - a layer that records (`records: true`) records as Victor's tracer does: the trace from start to end with its
 *   status, nested nodes, tool calls attached to the node open in the fiber that made them, failures and interruptions
 *   as failed nodes, records of the past, annotations and free-form events, timings from Effect's `Clock`, and a
 *   `TracerError` naming the reason for a call out of order.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import * as WorkflowTracer from "../src/WorkflowTracer.ts"

/** What the suite expects of a layer beyond running the work. */
export interface WorkflowTracerContractOptions {
  /**
   * Whether the layer records traces as Victor's tracer does. False for a tracer that records nothing (a noop) or
   * something else (counts, logs): it must still run the work unchanged and never fail.
   */
  readonly records: boolean
}

const T0 = 1_700_000_000

/** Runs the contract against a tracer layer; the layer must start with no trace for each test. */
export const testWorkflowTracer = <E>(
  name: string,
  makeLayer: () => Layer.Layer<WorkflowTracer.WorkflowTracer, E>,
  options: WorkflowTracerContractOptions
) =>
  describe(`WorkflowTracer contract: ${name}`, () => {
    const run = <A, E2>(body: (tracer: WorkflowTracer.WorkflowTracerService) => Effect.Effect<A, E2>) =>
      Effect.provide(Effect.flatMap(WorkflowTracer.WorkflowTracer, body), makeLayer())

    // Every layer, recording or not.

    it.effect("starts a trace under the given name and id, and ends it", () =>
      run((tracer) =>
        Effect.gen(function*() {
          const ref = yield* tracer.startTrace({ workflowName: "contract", traceId: "contract-1" })
          expect(ref).toEqual({ traceId: "contract-1", workflowName: "contract" })
          yield* tracer.getTrace
          yield* tracer.endTrace({ outputs: { done: true } })
          yield* tracer.getTrace
          const other = yield* tracer.startTrace({ workflowName: "fresh" })
          expect(other.workflowName).toBe("fresh")
          expect(other.traceId.length).toBeGreaterThan(0)
          yield* tracer.endTrace({ status: "failed", error: "stopped" })
        })))

    it.effect("withNode runs its work once and returns its value; toOutputs does not change it", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          const runs = yield* Ref.make(0)
          const value = { answer: 42 }
          const result = yield* tracer.withNode(
            { nodeId: "n", nodeType: "compute", inputs: { question: "?" } },
            Effect.as(Ref.update(runs, (n) => n + 1), value),
            (v) => ({ outputs: { answer: v.answer } })
          )
          expect(result).toBe(value)
          expect(yield* Ref.get(runs)).toBe(1)
          yield* tracer.endTrace()
        })))

    it.effect("withNode hands back a failure and a defect unchanged", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          const error = new Error("disk gone")
          expect(yield* Effect.flip(tracer.withNode({ nodeId: "fails", nodeType: "compute" }, Effect.fail(error))))
            .toBe(error)
          const exit = yield* Effect.exit(tracer.withNode({ nodeId: "dies", nodeType: "compute" }, Effect.die("boom")))
          expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
          if (Exit.isFailure(exit)) expect(Cause.squash(exit.cause)).toBe("boom")
          yield* tracer.endTrace()
        })))

    it.effect("withNode is interruptible: the work is interrupted and its finalizers run", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          const started = yield* Deferred.make<void>()
          const finalized = yield* Ref.make(false)
          const fiber = yield* Effect.fork(tracer.withNode(
            { nodeId: "forever", nodeType: "compute" },
            Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
              Effect.onInterrupt(() => Ref.set(finalized, true))
            )
          ))
          yield* Deferred.await(started)
          const exit = yield* Fiber.interrupt(fiber)
          expect(Exit.isInterrupted(exit)).toBe(true)
          expect(yield* Ref.get(finalized)).toBe(true)
          yield* tracer.endTrace({ status: "cancelled" })
        })))

    it.effect("withToolCall runs the tool and hands back its outputs or its failure unchanged", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          const outputs = yield* tracer.withNode(
            { nodeId: "n", nodeType: "compute" },
            tracer.withToolCall("read_file", { path: "a.txt" }, Effect.succeed({ content: "hello" }))
          )
          expect(outputs).toEqual({ content: "hello" })
          const failure = yield* Effect.flip(tracer.withToolCall("shell", {}, Effect.fail("exit 1"), (e) => e))
          expect(failure).toBe("exit 1")
          yield* tracer.endTrace()
        })))

    it.effect("nodes on concurrent fibers all run", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          const done = yield* Ref.make<ReadonlyArray<string>>([])
          yield* Effect.forEach(["a", "b", "c"], (id) =>
            tracer.withNode(
              { nodeId: id, nodeType: "compute" },
              tracer.withToolCall(`${id}-tool`, {}, Effect.as(Ref.update(done, (all) => [...all, id]), { id }))
            ), { concurrency: "unbounded", discard: true })
          expect([...(yield* Ref.get(done))].sort()).toEqual(["a", "b", "c"])
          yield* tracer.endTrace()
        })))

    it.effect("the imperative members succeed and name what they were given", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* tracer.startNode({ nodeId: "open", nodeType: "agent" })
          yield* tracer.annotateNode({ model: "m" })
          const call = yield* tracer.traceToolCall({ toolName: "read_file", durationSeconds: 0.5 })
          expect(call.toolName).toBe("read_file")
          yield* tracer.recordEvent("state_captured", { nodeId: "open", data: { step: 1 } })
          yield* tracer.endNode({ outputs: { ok: true } })
          const past = yield* tracer.traceNode({ nodeId: "past", nodeType: "transform", durationSeconds: 1 })
          expect(past).toMatchObject({ nodeId: "past", nodeType: "transform" })
          yield* tracer.endTrace()
        })))

    if (!options.records) return

    // Layers that record.

    it.effect("records a trace from start to end, and keeps it for getTrace", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0 * 1000)
          const ref = yield* tracer.startTrace({
            workflowName: "contract",
            inputs: { task: "fix bug" },
            metadata: { env: "test" }
          })
          const running = yield* tracer.getTrace
          expect(running).toMatchObject({ traceId: ref.traceId, status: "running", nodes: [] })
          yield* TestClock.adjust(Duration.seconds(2))
          const trace = yield* tracer.endTrace({ outputs: { result: "ok" } })
          expect(trace).toMatchObject({
            traceId: ref.traceId,
            workflowName: "contract",
            status: "succeeded",
            startTime: T0,
            endTime: T0 + 2,
            durationSeconds: 2,
            inputs: { task: "fix bug" },
            outputs: { result: "ok" },
            metadata: { env: "test" },
            nodes: []
          })
          expect(trace.events.map((e) => e.eventType)).toEqual(["workflow_started", "workflow_completed"])
          expect(yield* tracer.getTrace).toEqual(trace)
        })))

    it.effect("records nested nodes, innermost first, with their tool calls and Clock timings", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0 * 1000)
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* tracer.withNode(
            { nodeId: "outer", nodeType: "parallel", inputs: { n: 1 } },
            Effect.gen(function*() {
              yield* TestClock.adjust(Duration.seconds(1))
              yield* tracer.withNode(
                { nodeId: "inner", nodeType: "compute", metadata: { kind: "leaf" } },
                Effect.zipRight(
                  TestClock.adjust(Duration.seconds(2)),
                  tracer.withToolCall("ls", { path: "." }, Effect.succeed({ files: 2 }))
                ),
                (outputs) => ({ outputs })
              )
              yield* tracer.traceToolCall({ toolName: "after_inner" })
            })
          )
          const trace = yield* tracer.endTrace()
          expect(trace.nodes.map((n) => [n.nodeId, n.nodeType, n.timestamp, n.durationSeconds, n.success])).toEqual([
            ["inner", "compute", T0 + 1, 2, true],
            ["outer", "parallel", T0, 3, true]
          ])
          const [inner, outer] = trace.nodes
          expect(inner).toMatchObject({ outputs: { files: 2 }, metadata: { kind: "leaf" }, error: null })
          expect(inner!.toolCalls).toEqual([{
            toolName: "ls",
            inputs: { path: "." },
            outputs: { files: 2 },
            durationSeconds: 0,
            success: true,
            error: null,
            timestamp: T0 + 3
          }])
          expect(outer).toMatchObject({ inputs: { n: 1 } })
          expect(outer!.toolCalls.map((c) => c.toolName)).toEqual(["after_inner"])
          expect(trace.events.map((e) => `${e.eventType}:${e.nodeId ?? ""}`)).toEqual([
            "workflow_started:",
            "node_started:outer",
            "node_started:inner",
            "tool_call_started:inner",
            "tool_call_completed:inner",
            "node_completed:inner",
            "tool_call_completed:outer",
            "node_completed:outer",
            "workflow_completed:"
          ])
        })))

    it.effect("attaches each tool call to the node open in the fiber that made it", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          const branch = (id: string) =>
            tracer.withNode(
              { nodeId: id, nodeType: "compute" },
              Effect.forEach([0, 1, 2], (i) =>
                Effect.zipRight(
                  Effect.sleep(Duration.millis(10)),
                  tracer.withToolCall(`${id}-tool`, { i }, Effect.succeed({ i }))
                ), { discard: true })
            )
          const fibers = yield* Effect.forEach(["a", "b", "c"], (id) => Effect.fork(branch(id)))
          yield* TestClock.adjust(Duration.millis(100))
          yield* Fiber.joinAll(fibers)
          const trace = yield* tracer.endTrace()
          expect(trace.nodes.map((n) => n.nodeId).sort()).toEqual(["a", "b", "c"])
          for (const node of trace.nodes) {
            expect(node.toolCalls.map((c) => [c.toolName, c.inputs])).toEqual(
              [0, 1, 2].map((i) => [`${node.nodeId}-tool`, { i }])
            )
          }
        })))

    it.effect("records failures, defects and failed tool calls, and fails the trace", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* Effect.exit(tracer.withNode(
            { nodeId: "build", nodeType: "compute" },
            tracer.withToolCall(
              "shell",
              { command: "make" },
              Effect.fail(new Error("exit code 2")),
              (e) => ({ error: e.message, outputs: { exit_code: 2 } })
            )
          ))
          yield* Effect.exit(tracer.withNode({ nodeId: "crash", nodeType: "compute" }, Effect.die(new Error("boom"))))
          const trace = yield* tracer.endTrace()
          expect(trace.status).toBe("failed")
          expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error])).toEqual([
            ["build", false, "exit code 2"],
            ["crash", false, "boom"]
          ])
          expect(trace.nodes[0]!.toolCalls[0]).toMatchObject({
            toolName: "shell",
            inputs: { command: "make" },
            outputs: { exit_code: 2 },
            success: false,
            error: "exit code 2"
          })
          expect(trace.events.map((e) => e.eventType)).toEqual([
            "workflow_started",
            "node_started",
            "tool_call_started",
            "tool_call_failed",
            "node_failed",
            "node_started",
            "node_failed",
            "workflow_failed"
          ])
        })))

    it.effect("closes interrupted nodes as cancelled when they are interrupted, innermost first", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0 * 1000)
          yield* tracer.startTrace({ workflowName: "contract" })
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
          yield* TestClock.adjust(Duration.seconds(5))
          yield* tracer.withNode({ nodeId: "after", nodeType: "compute" }, Effect.void)
          const trace = yield* tracer.endTrace()
          expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error, n.durationSeconds])).toEqual([
            ["inner", false, "cancelled", 2],
            ["outer", false, "cancelled", 2],
            ["after", true, null, 0]
          ])
        })))

    it.effect("endTrace closes nodes still open; a cancelled trace closes them as cancelled", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* tracer.startNode({ nodeId: "slow", nodeType: "compute" })
          const trace = yield* tracer.endTrace({ status: "cancelled" })
          expect(trace.status).toBe("cancelled")
          expect(trace.nodes.map((n) => [n.nodeId, n.success, n.error])).toEqual([["slow", false, "cancelled"]])
          expect(trace.events.at(-1)?.eventType).toBe("workflow_cancelled")
        })))

    it.effect("startNode and endNode nest, and endNode returns the record", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0 * 1000)
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* tracer.startNode({ nodeId: "outer", nodeType: "agent", inputs: { task: "t" } })
          yield* tracer.startNode({ nodeId: "inner", nodeType: "compute" })
          yield* TestClock.adjust(Duration.millis(500))
          yield* tracer.traceToolCall({ toolName: "read_file", outputs: { content: "x" }, durationSeconds: 0.5 })
          const inner = yield* tracer.endNode({ error: "bad input" })
          const outer = yield* tracer.endNode({ outputs: { analysis: "complete" } })
          expect(inner).toMatchObject({ nodeId: "inner", success: false, error: "bad input", durationSeconds: 0.5 })
          expect(inner.toolCalls).toMatchObject([{ toolName: "read_file", timestamp: T0, durationSeconds: 0.5 }])
          expect(outer).toMatchObject({ nodeId: "outer", success: true, outputs: { analysis: "complete" } })
          const trace = yield* tracer.endTrace()
          expect(trace.nodes).toEqual([inner, outer])
          expect(trace.status).toBe("failed")
        })))

    it.effect("traceNode and traceToolCall record the past, with their own durations; earlier calls join the node", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0 * 1000)
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* tracer.traceToolCall({ toolName: "read_file", durationSeconds: 0.5 })
          yield* TestClock.adjust(Duration.seconds(3))
          const node = yield* tracer.traceNode({
            nodeId: "agent_1",
            nodeType: "agent",
            inputs: { task: "t" },
            outputs: { done: false },
            durationSeconds: 2.5,
            toolCalls: [{ toolName: "write_file", durationSeconds: 1, error: "disk full" }],
            error: "disk full"
          })
          expect(node).toMatchObject({
            nodeId: "agent_1",
            timestamp: T0 + 0.5,
            durationSeconds: 2.5,
            success: false,
            error: "disk full",
            inputs: { task: "t" },
            outputs: { done: false }
          })
          expect(node.toolCalls.map((c) => [c.toolName, c.success, c.error])).toEqual([
            ["read_file", true, null],
            ["write_file", false, "disk full"]
          ])
          const trace = yield* tracer.endTrace()
          expect(trace.nodes).toEqual([node])
        })))

    it.effect("annotateNode merges into the open node's metadata, kept when it fails", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* Effect.exit(tracer.withNode(
            { nodeId: "agent", nodeType: "agent", metadata: { kind: "review" } },
            Effect.zipRight(
              Effect.zipRight(tracer.annotateNode({ turns: 1 }), tracer.annotateNode({ turns: 2, model: "m" })),
              Effect.fail("provider unavailable")
            )
          ))
          const trace = yield* tracer.endTrace()
          expect(trace.nodes[0]!.metadata).toEqual({ kind: "review", turns: 2, model: "m" })
        })))

    it.effect("recordEvent adds a free-form event to the trace, in order", () =>
      run((tracer) =>
        Effect.gen(function*() {
          yield* tracer.startTrace({ workflowName: "contract" })
          yield* tracer.recordEvent("node_skipped", { nodeId: "b", data: { reason: "condition" } })
          const trace = yield* tracer.endTrace()
          expect(trace.events.map((e) => e.eventType)).toEqual(["workflow_started", "node_skipped", "workflow_completed"])
          expect(trace.events[1]).toMatchObject({ nodeId: "b", data: { reason: "condition" } })
        })))

    it.effect("calls out of order fail with a TracerError that names the reason", () =>
      run((tracer) =>
        Effect.gen(function*() {
          const reason = <A, E>(effect: Effect.Effect<A, E>) =>
            Effect.map(Effect.flip(effect), (error) => (error as { readonly reason?: string }).reason)
          expect(yield* reason(tracer.getTrace)).toBe("NoTrace")
          expect(yield* reason(tracer.startNode({ nodeId: "x", nodeType: "compute" }))).toBe("NoActiveTrace")
          expect(yield* reason(tracer.withNode({ nodeId: "x", nodeType: "compute" }, Effect.void))).toBe("NoActiveTrace")
          expect(yield* reason(tracer.traceNode({ nodeId: "x", nodeType: "compute" }))).toBe("NoActiveTrace")
          expect(yield* reason(tracer.traceToolCall({ toolName: "ls" }))).toBe("NoActiveTrace")
          expect(yield* reason(tracer.withToolCall("ls", {}, Effect.succeed({})))).toBe("NoActiveTrace")
          expect(yield* reason(tracer.recordEvent("state_captured"))).toBe("NoActiveTrace")
          expect(yield* reason(tracer.endTrace())).toBe("NoActiveTrace")
          yield* tracer.startTrace({ workflowName: "contract" })
          expect(yield* reason(tracer.endNode())).toBe("NoOpenNode")
          expect(yield* reason(tracer.annotateNode({ x: 1 }))).toBe("NoOpenNode")
          yield* tracer.endTrace()
          expect(yield* reason(tracer.endTrace())).toBe("NoActiveTrace")
        })))
  })
