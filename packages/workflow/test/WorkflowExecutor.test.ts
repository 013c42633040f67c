import { expect, layer } from "@effect/vitest"
import * as TraceHistory from "@victor/core/TraceHistory"
import * as TraceStore from "@victor/core/TraceStore"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import { makeTree, RunLayer, ToolsLayer } from "./fixtures.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const load = (source: string) => WorkflowLoader.parse(source, "test.yaml")

/** Runs with the built-in functions plus these handlers and conditions (a test plugin). */
const withExtras = (functions: Omit<FunctionRegistry.FunctionPlugin, "name">) =>
  Effect.provide(FunctionRegistry.layer([FunctionRegistry.plugin("test", functions)]))

// Real clock: durations are measured, and timeouts fire in real time.
layer(RunLayer, { excludeTestServices: true })("WorkflowExecutor", (it) => {
  it.scoped("runs shell, grep, read, a condition and a transform, recording nodes and tool calls", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const workflow = yield* load(lines(
        "name: review",
        "metadata: { purpose: test }",
        "nodes:",
        "  - id: list_sources",
        "    type: compute",
        "    tools: [shell]",
        "    inputs:",
        "      command: ls src | sort",
        "      cwd: $ctx.dir",
        "  - id: find_todos",
        "    type: compute",
        "    tools: [grep]",
        "    inputs: { pattern: 'TODO|FIXME', path: '{dir}/src', glob: '*.ts' }",
        "  - id: read_main",
        "    type: compute",
        "    tools: read",
        "    output: main",
        "    inputs: { path: '{dir}/src/a.ts' }",
        "  - id: decide",
        "    type: condition",
        "    condition: find_todos.grep.count >= 2",
        "    branches: { true: summarize, false: clean }",
        "  - id: clean",
        "    type: transform",
        "    transform: verdict = 'clean'",
        "  - id: summarize",
        "    type: transform",
        "    transform:",
        "      - todos = find_todos.grep.count",
        "      - \"verdict = 'todos: ' + str(todos)\"",
        "      - first_line = main.read.content"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { dir }, metadata: { run: 1 } })

      expect(result).toMatchObject({ status: "succeeded", error: null, saveError: null })
      const { trace } = result
      expect(trace).toMatchObject({
        workflowName: "review",
        status: "succeeded",
        inputs: { dir },
        metadata: { purpose: "test", run: 1 },
        outputs: result.state
      })
      expect(trace.nodes.map((node) => [node.nodeId, node.nodeType, node.success])).toEqual([
        ["list_sources", "compute", true],
        ["find_todos", "compute", true],
        ["read_main", "compute", true],
        ["decide", "condition", true],
        ["summarize", "transform", true]
      ])
      const [list, grep, read, decide, summarize] = trace.nodes
      expect(list!.inputs).toEqual({ shell: { command: "ls src | sort", cwd: dir } })
      expect(list!.outputs).toEqual({ shell: { stdout: "a.ts\nnested\nnotes.md\n", stderr: "", exit_code: 0 } })
      expect(list!.toolCalls).toHaveLength(1)
      expect(list!.toolCalls[0]).toMatchObject({
        toolName: "shell",
        inputs: { command: "ls src | sort", cwd: dir },
        outputs: { exit_code: 0 },
        success: true,
        error: null
      })
      expect(grep!.inputs).toEqual({ grep: { pattern: "TODO|FIXME", path: `${dir}/src`, glob: "*.ts" } })
      expect(grep!.outputs).toMatchObject({ grep: { count: 2 } })
      expect(read!.toolCalls[0]).toMatchObject({ toolName: "read", outputs: { size: 30 } })
      for (const node of [list!, grep!, read!]) {
        expect(node.durationSeconds).toBeGreaterThan(0)
        expect(node.toolCalls[0]!.durationSeconds).toBeGreaterThan(0)
        expect(node.toolCalls[0]!.durationSeconds).toBeLessThanOrEqual(node.durationSeconds)
      }
      expect(decide!.inputs).toEqual({ expression: "find_todos.grep.count >= 2", value: true })
      expect(decide!.outputs).toEqual({ value: true, branch: "true", next: "summarize" })
      expect(summarize!.inputs).toEqual({
        expressions: [
          "todos = find_todos.grep.count",
          "verdict = 'todos: ' + str(todos)",
          "first_line = main.read.content"
        ]
      })
      expect(summarize!.outputs).toEqual({
        todos: 2,
        verdict: "todos: 2",
        first_line: "const a = 1\n// TODO: rename a\n"
      })
      expect(Object.keys(result.state).sort()).toEqual(
        ["dir", "find_todos", "first_line", "list_sources", "main", "todos", "verdict"]
      )
      expect(trace.durationSeconds).toBeGreaterThan(0)
      expect(trace.events[0]?.eventType).toBe("workflow_started")
      expect(trace.events.at(-1)?.eventType).toBe("workflow_completed")
      expect(trace.events.filter((e) => e.eventType === "tool_call_completed").map((e) => [e.nodeId, e.toolName]))
        .toEqual([
          ["list_sources", "shell"],
          ["find_todos", "grep"],
          ["read_main", "read"]
        ])
      expect(yield* TraceHistory.get(trace.traceId)).toEqual(trace)
    }))

  it.effect("a failing shell command fails its node, ends the run as failed and stores the trace", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "name: build",
        "nodes:",
        "  - { id: prepare, type: transform, transform: step = 1 }",
        "  - id: compile",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: \"echo compiling; echo 'error: missing semicolon' >&2; exit 3\" }",
        "  - { id: publish, type: transform, transform: published = true }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      expect(result.error).toBe("node 'compile' failed: shell: command exited with code 3: error: missing semicolon")
      expect(result.trace).toMatchObject({ status: "failed", error: result.error })
      expect(result.trace.nodes.map((node) => [node.nodeId, node.success])).toEqual([["prepare", true], [
        "compile",
        false
      ]])
      const compile = result.trace.nodes[1]!
      expect(compile.error).toBe("shell: command exited with code 3: error: missing semicolon")
      expect(compile.durationSeconds).toBeGreaterThan(0)
      expect(compile.toolCalls).toHaveLength(1)
      expect(compile.toolCalls[0]).toMatchObject({
        toolName: "shell",
        success: false,
        error: "command exited with code 3: error: missing semicolon"
      })
      expect(result.state).toEqual({ step: 1 })
      expect(result.trace.events.map((e) => e.eventType)).toEqual([
        "workflow_started",
        "node_started",
        "node_completed",
        "node_started",
        "tool_call_started",
        "tool_call_failed",
        "node_failed",
        "error_occurred",
        "workflow_failed"
      ])
      expect((yield* TraceHistory.get(result.trace.traceId)).status).toBe("failed")
    }))

  it.effect("stops a loop at max_iterations with a clear error and numbers repeated visits", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "name: loop",
        "max_iterations: 5",
        "nodes:",
        "  - { id: bump, type: transform, transform: count = count + 1 }",
        "  - id: again",
        "    type: condition",
        "    condition: count < 100",
        "    branches: { true: bump, false: done }",
        "  - { id: done, type: transform, transform: finished = true }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { count: 0 } })
      expect(result.status).toBe("failed")
      expect(result.error).toBe(
        "workflow 'loop' reached max_iterations (5 per node) before finishing: node 'bump' has already run 5 " +
          "times; raise max_iterations (--max-iterations) or check the loop's exit condition"
      )
      expect(result.trace.nodes.map((node) => [node.nodeId, node.metadata])).toEqual(
        [1, 2, 3, 4, 5].flatMap((iteration) => [["bump", { iteration }], ["again", { iteration }]])
      )
      expect(result.state).toEqual({ count: 5 })
      expect(result.trace.status).toBe("failed")
    }))

  it.effect("fails a condition whose value matches no branch and has no default, naming value and branches", () =>
    Effect.gen(function*() {
      const source = (branches: string) =>
        lines(
          "nodes:",
          "  - id: route",
          "    type: condition",
          "    condition: lower(target)",
          `    branches: { ${branches} }`,
          "  - { id: deploy, type: transform, transform: deployed = target }",
          "  - { id: skip, type: transform, transform: skipped = true }"
        )
      const noMatch = yield* WorkflowExecutor.execute(yield* load(source("prod: deploy, staging: deploy")), {
        context: { target: "QA" }
      })
      expect(noMatch.status).toBe("failed")
      expect(noMatch.error).toBe(
        "node 'route' failed: condition \"lower(target)\" evaluated to \"qa\", which matches no branch " +
          "(branches: prod, staging) and there is no 'default' branch"
      )
      expect(noMatch.trace.nodes).toHaveLength(1)
      expect(noMatch.trace.nodes[0]).toMatchObject({
        nodeId: "route",
        success: false,
        inputs: { expression: "lower(target)", value: "qa" }
      })

      const withDefault = yield* WorkflowExecutor.execute(yield* load(source("prod: deploy, default: skip")), {
        context: { target: "QA" }
      })
      expect(withDefault.status).toBe("succeeded")
      expect(withDefault.trace.nodes.map((node) => node.nodeId)).toEqual(["route", "skip"])
      expect(withDefault.trace.nodes[0]!.outputs).toEqual({ value: "qa", branch: "default", next: "skip" })

      const matched = yield* WorkflowExecutor.execute(yield* load(source("prod: deploy, default: skip")), {
        context: { target: "Prod" }
      })
      // deploy has no next, so it auto-chains to the following node of the list.
      expect(matched.trace.nodes.map((node) => node.nodeId)).toEqual(["route", "deploy", "skip"])
      expect(matched.state).toMatchObject({ deployed: "Prod", skipped: true })
    }))

  it.effect("executeStream yields events while the run is still going", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const workflow = yield* load(lines(
        "name: gated",
        "nodes:",
        "  - { id: before, type: transform, transform: x = 1 }",
        "  - { id: wait, type: compute, handler: wait_for_gate }",
        "  - { id: after, type: transform, transform: y = x + 1 }"
      ))
      // The handler blocks until the consumer has seen `wait` start: if events were only delivered at the end of
      // the run, this would never finish (and the timeout below fails the test).
      const events = yield* WorkflowExecutor.executeStream(workflow).pipe(
        Stream.tap((event) =>
          event.eventType === "node_started" && event.nodeId === "wait"
            ? Deferred.succeed(gate, undefined)
            : Effect.void
        ),
        Stream.runCollect,
        withExtras({ handlers: { wait_for_gate: () => Effect.as(Deferred.await(gate), { opened: true }) } }),
        Effect.timeoutFail({
          duration: Duration.seconds(10),
          onTimeout: () => new Error("events were not streamed live")
        })
      )
      const types = Chunk.toReadonlyArray(events).map((event) => event.eventType)
      expect(types[0]).toBe("workflow_started")
      expect(types.at(-1)).toBe("workflow_completed")
      expect(Chunk.toReadonlyArray(events).filter((e) => e.eventType === "node_completed").map((e) => e.nodeId))
        .toEqual(["before", "wait", "after"])
      const stored = (yield* TraceHistory.history({ workflowName: "gated" })).at(-1)!
      expect(stored.events.map((event) => event.eventType)).toEqual(types)
    }))

  it.effect("an interrupted run is stored as cancelled", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const workflow = yield* load(lines(
        "name: endless",
        "nodes:",
        "  - { id: forever, type: compute, handler: hang }"
      ))
      const fiber = yield* WorkflowExecutor.execute(workflow, { traceId: "cancelled-run" }).pipe(
        withExtras({ handlers: { hang: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never) } }),
        Effect.fork
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      const stored = yield* TraceHistory.get("cancelled-run")
      expect(stored.status).toBe("cancelled")
      expect(stored.nodes).toHaveLength(1)
      expect(stored.nodes[0]).toMatchObject({ nodeId: "forever", success: false, error: "cancelled" })
      expect(stored.events.at(-1)?.eventType).toBe("workflow_cancelled")
    }))

  it.effect("an unknown tool fails the run before any node runs, listing the known tools", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: first, type: transform, transform: x = 1 }",
        "  - { id: fetch, type: compute, tools: [curl] }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      expect(result.error).toBe(
        "test.yaml:3: node 'fetch' uses unknown tool 'curl'; known tools: grep, ls, read, shell, write"
      )
      expect(result.trace.nodes).toEqual([])
      const invalid = yield* Effect.flip(WorkflowExecutor.validate(workflow))
      expect(invalid).toMatchObject({ _tag: "WorkflowLoadError", reason: "Invalid", nodeId: "fetch", line: 3 })
    }))

  it.scoped("with several tools: per-tool inputs, shared inputs, and fail_fast: false", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: probe",
        "    type: compute",
        "    tools: [shell, read]",
        "    fail_fast: false",
        "    inputs:",
        "      shell: { command: 'exit 2' }",
        "      read: { path: '{dir}/src/a.ts' }",
        "  - id: both",
        "    type: compute",
        "    tools: [grep, read]",
        "    inputs: { pattern: TODO, path: $ctx.file }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { dir, file: `${dir}/src/a.ts` } })
      expect(result.status).toBe("succeeded")
      const [probe, both] = result.trace.nodes
      expect(probe!.success).toBe(true)
      expect(probe!.inputs).toEqual({ shell: { command: "exit 2" }, read: { path: `${dir}/src/a.ts` } })
      expect(probe!.outputs).toEqual({
        shell: { stdout: "", stderr: "", exit_code: 2, error: "command exited with code 2" },
        read: { content: "const a = 1\n// TODO: rename a\n", size: 30 }
      })
      expect(probe!.toolCalls.map((call) => [call.toolName, call.success])).toEqual([["shell", false], ["read", true]])
      const shared = { pattern: "TODO", path: `${dir}/src/a.ts` }
      expect(both!.inputs).toEqual({ grep: shared, read: shared })
      expect(both!.outputs).toMatchObject({ grep: { count: 1 }, read: { size: 30 } })
    }))

  it.effect("fails a node that outlives its timeout, and a run that outlives the workflow timeout", () =>
    Effect.gen(function*() {
      const nodeTimeout = yield* load(lines(
        "nodes:",
        "  - { id: slow, type: compute, tools: [shell], timeout: 0.3, inputs: { command: 'sleep 5' } }"
      ))
      const started = Date.now()
      const slow = yield* WorkflowExecutor.execute(nodeTimeout)
      expect(Date.now() - started).toBeLessThan(4000)
      expect(slow.error).toBe("node 'slow' failed: node 'slow' timed out after 0.3s")
      expect(slow.trace.nodes[0]).toMatchObject({ success: false, error: "node 'slow' timed out after 0.3s" })
      expect(slow.trace.nodes[0]!.toolCalls[0]).toMatchObject({ toolName: "shell", success: false })

      const runTimeout = yield* load(lines(
        "name: bounded",
        "execution: { timeout: 0.3, default_node_timeout: 60 }",
        "nodes:",
        "  - { id: sleepy, type: compute, tools: [shell], inputs: { command: 'sleep 5' } }"
      ))
      const bounded = yield* WorkflowExecutor.execute(runTimeout)
      expect(bounded.status).toBe("failed")
      expect(bounded.error).toBe("node 'sleepy' failed: workflow 'bounded' timed out after 0.3s")
    }))

  it.effect("max_iterations is per node: a long linear workflow runs; the option overrides the file", () =>
    Effect.gen(function*() {
      const ids = Array.from({ length: 30 }, (_, i) => `step_${i}`)
      const long = yield* load(lines(
        "name: long",
        "nodes:",
        ...ids.map((id) => `  - { id: ${id}, type: transform, transform: n = n + 1 }`)
      ))
      const result = yield* WorkflowExecutor.execute(long, { context: { n: 0 } })
      expect(result.status).toBe("succeeded")
      expect(result.state).toEqual({ n: 30 })
      expect(result.trace.nodes.every((node) => node.metadata.iteration === 1)).toBe(true)

      const loop = yield* load(lines(
        "name: loop",
        "nodes:",
        "  - { id: bump, type: transform, transform: count = count + 1 }",
        "  - id: again",
        "    type: condition",
        "    condition: count < 100",
        "    branches: { true: bump, false: done }",
        "  - { id: done, type: transform, transform: finished = true }"
      ))
      const limited = yield* WorkflowExecutor.execute(loop, { context: { count: 0 }, maxIterations: 3 })
      expect(limited.status).toBe("failed")
      expect(limited.error).toContain("max_iterations (3 per node)")
      expect(limited.state).toEqual({ count: 3 })
    }))

  it.effect("retries a failed node max_retries times, recording every attempt", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const flaky: FunctionRegistry.ComputeHandler = () =>
        Effect.flatMap(Ref.updateAndGet(calls, (n) => n + 1), (n) =>
          n < 3
            ? Effect.fail(
              new ToolRegistry.ToolError({ reason: "Failed", tool: "flaky", description: `attempt ${n} failed` })
            )
            : Effect.succeed({ attempts: n }))
      const workflow = yield* load(lines(
        "max_retries: 2",
        "nodes:",
        "  - { id: unstable, type: compute, handler: flaky }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow).pipe(withExtras({ handlers: { flaky } }))
      expect(result.status).toBe("succeeded")
      expect(result.state).toEqual({ unstable: { attempts: 3 } })
      expect(result.trace.nodes.map((node) => [node.success, node.error, node.metadata])).toEqual([
        [false, "handler 'flaky': attempt 1 failed", { iteration: 1 }],
        [false, "handler 'flaky': attempt 2 failed", { iteration: 1, attempt: 2 }],
        [true, null, { iteration: 1, attempt: 3 }]
      ])
      expect(
        result.trace.events.filter((e) => e.eventType === "retry_attempt").map((e) => e.data)
      ).toEqual([
        { attempt: 2, max_retries: 2 },
        { attempt: 3, max_retries: 2 }
      ])
    }))

  it.effect("uses registered handlers (with input_mapping) and named conditions", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: double",
        "    type: compute",
        "    handler: times",
        "    input_mapping: { n: count }",
        "    inputs: { factor: 2 }",
        "  - id: weekend",
        "    type: condition",
        "    condition: is_weekend",
        "    branches: { true: rest, false: work }",
        "  - { id: work, type: transform, transform: plan = 'work' }",
        "  - { id: rest, type: transform, transform: plan = 'rest' }"
      ))
      const registry = withExtras({
        handlers: { times: (inputs) => Effect.succeed(Number(inputs.n) * Number(inputs.factor)) },
        conditions: { is_weekend: (state) => state.day === "sat" }
      })
      const result = yield* WorkflowExecutor.execute(workflow, { context: { count: 21, day: "sat" } }).pipe(registry)
      expect(result.status).toBe("succeeded")
      expect(result.trace.nodes[0]).toMatchObject({
        inputs: { handler: "times", inputs: { n: 21, factor: 2 } },
        outputs: { result: 42 }
      })
      expect(result.state).toMatchObject({ double: 42, plan: "rest" })

      const unknown = yield* load(lines(
        "nodes:",
        "  - { id: c, type: condition, condition: is_holiday, branches: { true: c } }"
      ))
      const failed = yield* WorkflowExecutor.execute(unknown).pipe(registry)
      expect(failed.error).toContain("unknown name 'is_holiday'")
      expect(failed.error).toContain("and no registered condition is named 'is_holiday' (registered: always, is_weekend, never)")
    }))

  it.effect("fails a node whose input reads a missing state key", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: show, type: compute, tools: [read], inputs: { path: $ctx.target } }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { other: 1 } })
      expect(result.status).toBe("failed")
      expect(result.error).toBe("node 'show' failed: $ctx.target is not in the workflow state (keys: other)")
      expect(result.trace.nodes[0]).toMatchObject({ success: false, toolCalls: [] })
    }))
})

const failingStore = Layer.effect(
  TraceStore.TraceStore,
  Effect.map(TraceStore.makeMemory, (memory) => {
    const diskFull = () => Effect.fail(new TraceStore.TraceStoreError({ reason: "Unavailable", description: "disk full" }))
    // Neither a journal nor a final save can be written.
    return { ...memory, begin: diskFull, save: diskFull }
  })
)

layer(Layer.merge(ToolsLayer, Layer.provide(WorkflowTracer.layer(), failingStore)), { excludeTestServices: true })(
  "WorkflowExecutor with a store that cannot save",
  (it) => {
    it.effect("returns the trace with saveError set instead of losing it", () =>
      Effect.gen(function*() {
        const workflow = yield* load(lines("nodes:", "  - { id: a, type: transform, transform: x = 1 }"))
        const result = yield* WorkflowExecutor.execute(workflow)
        expect(result.status).toBe("succeeded")
        expect(result.saveError).toMatchObject({ _tag: "TraceStoreError", reason: "Unavailable", message: "disk full" })
        expect(result.trace).toMatchObject({ status: "succeeded", outputs: { x: 1 } })
        expect(result.trace.nodes.map((node) => node.nodeId)).toEqual(["a"])
      }))
  }
)

/** When a node record started and ended (unix seconds). */
const span = (node: NodeTraceRecord) => ({ start: node.timestamp, end: node.timestamp + node.durationSeconds })

const overlap = (a: NodeTraceRecord, b: NodeTraceRecord) =>
  span(a).start < span(b).end && span(b).start < span(a).end

/** The record of a node, by id (each node here runs once). */
const recordOf = (trace: WorkflowTrace, id: string): NodeTraceRecord => {
  const found = trace.nodes.filter((node) => node.nodeId === id)
  expect(found).toHaveLength(1)
  return found[0]!
}

/** `inner` started and ended within `outer`. */
const expectWithin = (inner: NodeTraceRecord, outer: NodeTraceRecord) => {
  expect(span(inner).start).toBeGreaterThanOrEqual(span(outer).start)
  expect(span(inner).end).toBeLessThanOrEqual(span(outer).end)
}

layer(RunLayer, { excludeTestServices: true })("WorkflowExecutor parallel nodes", (it) => {
  it.effect("runs children at the same time, each as its own node with its own tool calls", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "name: fanout",
        "nodes:",
        "  - id: fan",
        "    type: parallel",
        "    parallel_nodes: [left, right]",
        "  - { id: left, type: compute, tools: [shell], inputs: { command: 'sleep 0.5; echo a' } }",
        "  - { id: right, type: compute, tools: [shell], inputs: { command: 'sleep 0.5; echo b' } }",
        "  - { id: after, type: transform, transform: both = left.shell.stdout + right.shell.stdout }"
      ))
      expect(workflow.warnings).toEqual([])
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result).toMatchObject({ status: "succeeded", error: null })
      const { trace } = result
      // fan auto-chains past its children to `after`; each node runs exactly once.
      expect(trace.nodes.map((node) => node.nodeId).sort()).toEqual(["after", "fan", "left", "right"])
      expect(trace.nodes.at(-1)?.nodeId).toBe("after")
      const [fan, left, right] = ["fan", "left", "right"].map((id) => recordOf(trace, id))
      expect(fan!).toMatchObject({
        nodeType: "parallel",
        success: true,
        inputs: { parallel_nodes: ["left", "right"], join_strategy: "all", concurrency: 4 },
        outputs: { join_strategy: "all", children: { left: "succeeded", right: "succeeded" } },
        toolCalls: []
      })
      // Every tool call is attached to the child that made it.
      expect(left!.toolCalls.map((call) => [call.toolName, call.inputs, call.outputs.stdout])).toEqual([
        ["shell", { command: "sleep 0.5; echo a" }, "a\n"]
      ])
      expect(right!.toolCalls.map((call) => [call.toolName, call.inputs, call.outputs.stdout])).toEqual([
        ["shell", { command: "sleep 0.5; echo b" }, "b\n"]
      ])
      expect(
        trace.events.filter((e) => e.eventType === "tool_call_completed").map((e) => e.nodeId).sort()
      ).toEqual(["left", "right"])
      // They ran at the same time, inside the parallel node's record.
      expect(overlap(left!, right!)).toBe(true)
      expectWithin(left!, fan!)
      expectWithin(right!, fan!)
      expect(left!.durationSeconds).toBeGreaterThanOrEqual(0.5)
      expect(right!.durationSeconds).toBeGreaterThanOrEqual(0.5)
      expect(fan!.durationSeconds).toBeLessThan(0.9)
      expect(result.state).toMatchObject({ both: "a\nb\n" })
    }))

  it.effect("children see the state as it was when the parallel node started; updates merge in list order", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: init, type: transform, transform: [x = 1, \"shared = 'initial'\"] }",
        "  - id: fan",
        "    type: parallel",
        "    parallel_nodes: [slow, quick, reader]",
        "    output: fan_result",
        "    next: [check]",
        "  - { id: unused, type: transform, transform: unused = true }",
        "  - id: slow",
        "    type: compute",
        "    tools: [shell]",
        "    output: shared",
        "    inputs: { command: 'sleep 0.3; echo slow' }",
        "  - { id: quick, type: transform, transform: [x = x + 1, seen_by_quick = x, \"shared = 'quick'\"] }",
        "  - { id: reader, type: transform, transform: [seen_by_reader = x, seen_shared = shared] }",
        "  - { id: check, type: transform, transform: final_x = x }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.error).toBeNull()
      const { trace } = result
      const [slow, quick] = ["slow", "quick"].map((id) => recordOf(trace, id))
      // quick finished long before slow: merging by completion would let slow's `shared` win.
      expect(span(quick!).end).toBeLessThan(span(slow!).end)
      expect(result.state).toEqual({
        x: 2,
        seen_by_quick: 2,
        shared: "quick",
        seen_by_reader: 1,
        seen_shared: "initial",
        fan_result: {
          join_strategy: "all",
          children: { slow: "succeeded", quick: "succeeded", reader: "succeeded" }
        },
        final_x: 2
      })
      expect(trace.nodes.map((node) => node.nodeId).filter((id) => id !== "slow" && id !== "quick" && id !== "reader"))
        .toEqual(["init", "fan", "check"])
    }))

  it.effect("join_strategy all: a failing child fails the run, naming it, after every child has finished", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: fan",
        "    type: parallel",
        "    parallel_nodes: [ok, broken]",
        "  - { id: ok, type: compute, tools: [shell], inputs: { command: 'sleep 0.3; echo ok' } }",
        "  - { id: broken, type: compute, tools: [shell], inputs: { command: 'echo boom >&2; exit 4' } }",
        "  - { id: after, type: transform, transform: reached = true }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      expect(result.error).toBe(
        "node 'fan' failed: 1 of 2 children failed: 'broken': shell: command exited with code 4: boom"
      )
      const { trace } = result
      expect(trace.nodes.map((node) => node.nodeId)).not.toContain("after")
      const [fan, ok, broken] = ["fan", "ok", "broken"].map((id) => recordOf(trace, id))
      expect(fan).toMatchObject({
        success: false,
        error: "1 of 2 children failed: 'broken': shell: command exited with code 4: boom"
      })
      expect(broken).toMatchObject({ success: false, error: "shell: command exited with code 4: boom" })
      // The slower sibling was not cut short.
      expect(ok).toMatchObject({ success: true, error: null })
      expectWithin(ok!, fan!)
      expect(result.state).toEqual({})
    }))

  it.effect("join_strategy any: succeeds when one child fails, merging the others; fails when all fail", () =>
    Effect.gen(function*() {
      const source = (second: string) =>
        lines(
          "nodes:",
          "  - id: fan",
          "    type: parallel",
          "    join_strategy: any",
          "    parallel_nodes: [broken, other]",
          "  - { id: broken, type: compute, tools: [shell], inputs: { command: 'exit 3' } }",
          `  - { id: other, type: compute, tools: [shell], inputs: { command: '${second}' } }`,
          "  - { id: after, type: transform, transform: reached = true }"
        )
      const result = yield* WorkflowExecutor.execute(yield* load(source("sleep 0.2; echo fine")))
      expect(result).toMatchObject({ status: "succeeded", error: null })
      expect(recordOf(result.trace, "fan")).toMatchObject({
        success: true,
        outputs: {
          join_strategy: "any",
          children: { broken: "failed", other: "succeeded" },
          errors: { broken: "shell: command exited with code 3" }
        }
      })
      expect(recordOf(result.trace, "broken").success).toBe(false)
      expect(result.state).toEqual({
        other: { shell: { stdout: "fine\n", stderr: "", exit_code: 0 } },
        reached: true
      })

      const none = yield* WorkflowExecutor.execute(yield* load(source("exit 5")))
      expect(none.status).toBe("failed")
      expect(none.error).toBe(
        "node 'fan' failed: no child succeeded (join_strategy: any): 'broken': shell: command exited with code 3; " +
          "'other': shell: command exited with code 5"
      )
    }))

  it.effect("join_strategy first: the first success wins, the slower one is cancelled, only the winner merges", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: race",
        "    type: parallel",
        "    join_strategy: first",
        "    parallel_nodes: [broken, fast, slow]",
        "  - { id: broken, type: compute, tools: [shell], inputs: { command: 'exit 1' } }",
        "  - { id: fast, type: compute, tools: [shell], inputs: { command: 'sleep 0.3; echo fast' } }",
        "  - { id: slow, type: compute, tools: [shell], inputs: { command: 'sleep 5; echo slow' } }",
        "  - { id: after, type: transform, transform: winner = fast.shell.stdout }"
      ))
      const started = Date.now()
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(Date.now() - started).toBeLessThan(3000)
      expect(result).toMatchObject({ status: "succeeded", error: null })
      const { trace } = result
      const [race, broken, fast, slow] = ["race", "broken", "fast", "slow"].map((id) => recordOf(trace, id))
      expect(race).toMatchObject({
        success: true,
        outputs: {
          join_strategy: "first",
          winner: "fast",
          children: { broken: "failed", fast: "succeeded", slow: "cancelled" },
          errors: { broken: "shell: command exited with code 1" }
        }
      })
      expect(broken).toMatchObject({ success: false, error: "shell: command exited with code 1" })
      expect(fast).toMatchObject({ success: true })
      expect(slow).toMatchObject({ success: false, error: "cancelled" })
      expect(slow!.durationSeconds).toBeLessThan(3)
      for (const child of [broken!, fast!, slow!]) expectWithin(child, race!)
      expect(result.state).toEqual({
        fast: { shell: { stdout: "fast\n", stderr: "", exit_code: 0 } },
        winner: "fast\n"
      })
    }))

  it.effect("concurrency 1 runs the children one after another; an invalid limit fails the run", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: fan",
        "    type: parallel",
        "    parallel_nodes: [one, two]",
        "  - { id: one, type: compute, tools: [shell], inputs: { command: 'sleep 0.3; echo 1' } }",
        "  - { id: two, type: compute, tools: [shell], inputs: { command: 'sleep 0.3; echo 2' } }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { concurrency: 1 })
      expect(result.status).toBe("succeeded")
      const [fan, one, two] = ["fan", "one", "two"].map((id) => recordOf(result.trace, id))
      expect(fan!.inputs).toMatchObject({ concurrency: 1 })
      expect(overlap(one!, two!)).toBe(false)
      expect(span(one!).end).toBeLessThanOrEqual(span(two!).start)
      expect(fan!.durationSeconds).toBeGreaterThanOrEqual(0.6)
      expect(result.state).toMatchObject({ one: { shell: { stdout: "1\n" } }, two: { shell: { stdout: "2\n" } } })

      const invalid = yield* WorkflowExecutor.execute(workflow, { concurrency: 0 })
      expect(invalid.status).toBe("failed")
      expect(invalid.error).toBe("concurrency must be a positive whole number or Infinity, not 0")
      expect(invalid.trace.nodes).toEqual([])
    }))

  it.effect("a parallel timeout cancels its children; default_node_timeout bounds each child, not the fan-out", () =>
    Effect.gen(function*() {
      const bounded = yield* load(lines(
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [stuck, quick], timeout: 0.4 }",
        "  - { id: stuck, type: compute, tools: [shell], inputs: { command: 'sleep 5' } }",
        "  - { id: quick, type: transform, transform: x = 1 }"
      ))
      const started = Date.now()
      const timedOut = yield* WorkflowExecutor.execute(bounded)
      expect(Date.now() - started).toBeLessThan(3000)
      expect(timedOut.error).toBe("node 'fan' failed: node 'fan' timed out after 0.4s")
      expect(recordOf(timedOut.trace, "stuck")).toMatchObject({ success: false, error: "cancelled" })
      expect(recordOf(timedOut.trace, "quick")).toMatchObject({ success: true })
      expect(timedOut.state).toEqual({})

      const perChild = yield* load(lines(
        "default_node_timeout: 0.5",
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [one, two] }",
        "  - { id: one, type: compute, tools: [shell], inputs: { command: 'sleep 0.3' } }",
        "  - { id: two, type: compute, tools: [shell], inputs: { command: 'sleep 0.3' } }"
      ))
      const sequential = yield* WorkflowExecutor.execute(perChild, { concurrency: 1 })
      expect(sequential.error).toBeNull()
      expect(recordOf(sequential.trace, "fan").durationSeconds).toBeGreaterThan(0.5)
    }))

  it.effect("a definition built in code with a missing or cyclic parallel child fails before any node runs", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [a] }",
        "  - { id: a, type: transform, transform: x = 1 }"
      ))
      const withChildren = (ids: ReadonlyArray<string>) => ({
        ...workflow,
        nodes: workflow.nodes.map((node) => (node.type === "parallel" ? { ...node, parallelNodes: ids } : node))
      })
      const missing = yield* WorkflowExecutor.execute(withChildren(["a", "ghost"]))
      expect(missing.status).toBe("failed")
      expect(missing.error).toBe(
        "test.yaml:2: node 'fan' has parallel_nodes entry 'ghost', which is not a node in this workflow"
      )
      expect(missing.trace.nodes).toEqual([])
      const cyclic = yield* WorkflowExecutor.execute(withChildren(["a", "fan"]))
      expect(cyclic.error).toBe("test.yaml:2: parallel node 'fan' contains itself: 'fan' -> 'fan'")
      expect(cyclic.trace.nodes).toEqual([])
    }))

  it.effect("nested parallel nodes, and children's own retries", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const flaky: FunctionRegistry.ComputeHandler = () =>
        Effect.flatMap(Ref.updateAndGet(calls, (n) => n + 1), (n) =>
          n < 2
            ? Effect.fail(new ToolRegistry.ToolError({ reason: "Failed", tool: "flaky", description: "not yet" }))
            : Effect.succeed({ attempts: n }))
      const workflow = yield* load(lines(
        "max_retries: 1",
        "nodes:",
        "  - { id: outer, type: parallel, parallel_nodes: [inner, c] }",
        "  - { id: inner, type: parallel, parallel_nodes: [a, b], join_strategy: any }",
        "  - { id: a, type: transform, transform: from_a = 1 }",
        "  - { id: b, type: compute, handler: flaky }",
        "  - { id: c, type: transform, transform: from_c = 3 }",
        "  - { id: done, type: transform, transform: total = from_a + from_c + b.attempts }"
      ))
      expect(workflow.startNode).toBe("outer")
      const result = yield* WorkflowExecutor.execute(workflow).pipe(withExtras({ handlers: { flaky } }))
      expect(result.error).toBeNull()
      expect(result.state).toEqual({ from_a: 1, b: { attempts: 2 }, from_c: 3, total: 6 })
      const { trace } = result
      expect(trace.nodes.filter((node) => node.nodeId === "b").map((node) => [node.success, node.metadata]))
        .toEqual([[false, { iteration: 1 }], [true, { iteration: 1, attempt: 2 }]])
      const [outer, inner, c] = ["outer", "inner", "c"].map((id) => recordOf(trace, id))
      expectWithin(inner!, outer!)
      expectWithin(c!, outer!)
      expect(outer!.outputs).toEqual({ join_strategy: "all", children: { inner: "succeeded", c: "succeeded" } })
      expect(trace.nodes.at(-1)?.nodeId).toBe("done")
    }))
})
