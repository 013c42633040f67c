import { expect, layer } from "@effect/vitest"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as TraceContext from "@victor/core/TraceContext"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { RunLayer } from "./fixtures.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const w3c = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/

const parentAndChild = lines(
  "workflows:",
  "  main:",
  "    nodes:",
  "      - { id: prepare, type: transform, transform: \"issue = 'BUG-7'\" }",
  "      - id: fix",
  "        type: workflow",
  "        workflow: fixer",
  "        input_mapping:",
  "          ticket: $ctx.issue",
  "          title: \"Fix {issue} now\"",
  "          owner: team",
  "        output_mapping: { patch: result }",
  "      - { id: after, type: transform, transform: \"done = patch + '!'\" }",
  "  fixer:",
  "    nodes:",
  "      - { id: work, type: transform, transform: \"result = title + ' by ' + owner + ' for ' + ticket\" }"
)

// Real clock and platform; the in-memory store keeps every trace, children included.
layer(RunLayer, { excludeTestServices: true })("sub-workflows", (it) => {
  it.effect("runs a workflow of the same file with input_mapping and output_mapping, in a trace of its own", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(parentAndChild, "flows.yaml", { workflow: "main" })
      expect(workflow.subWorkflows?.["fix"]?.name).toBe("fixer")
      const result = yield* WorkflowExecutor.execute(workflow, { context: { team: "core" } })
      expect(result.status).toBe("succeeded")
      expect(result.state).toMatchObject({ patch: "Fix BUG-7 now by core for BUG-7", done: "Fix BUG-7 now by core for BUG-7!" })
      // Only an output_mapping: the child's state is not stored whole.
      expect(result.state).not.toHaveProperty("fix")

      const parent = result.trace
      const node = parent.nodes.find((n) => n.nodeId === "fix")!
      expect(node.nodeType).toBe("workflow")
      expect(node.inputs).toMatchObject({
        workflow: "fixer",
        context: { ticket: "BUG-7", title: "Fix BUG-7 now", owner: "core" }
      })
      const childId = node.metadata["child_trace_id"] as string
      expect(node.outputs).toMatchObject({ child_trace_id: childId, status: "succeeded" })

      const store = yield* TraceStore.TraceStore
      const child = yield* store.get(childId)
      expect(child.workflowName).toBe("fixer")
      expect(child.status).toBe("succeeded")
      expect(child.parentTraceId).toBe(parent.traceId)
      expect(child.inputs).toEqual({ ticket: "BUG-7", title: "Fix BUG-7 now", owner: "core" })
      const match = w3c.exec(child.traceParent ?? "")
      expect(match).not.toBeNull()
      expect(match![1]).toBe(TraceContext.traceIdOf(parent.traceId))
      expect(match![2]).toBe(node.metadata["span_id"])
      expect(match![2]).toBe(TraceContext.spanIdOf(parent.traceId, "fix", 1, 1))
      expect(node.metadata["traceparent"]).toBe(child.traceParent)
      // The parent's own trace has no parent; the child's nodes are in the child's trace only.
      expect(parent.parentTraceId).toBeNull()
      expect(parent.nodes.map((n) => n.nodeId)).toEqual(["prepare", "fix", "after"])
      expect(child.nodes.map((n) => n.nodeId)).toEqual(["work"])
    }))

  it.scoped("loads a sub-workflow from a path relative to the parent file, and stores its state under output", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "victor-sub-" })
      yield* fs.makeDirectory(path.join(dir, "lib"))
      yield* fs.writeFileString(
        path.join(dir, "lib", "child.yaml"),
        lines("name: child", "nodes:", "  - { id: double, type: transform, transform: y = x * 2 }")
      )
      yield* fs.writeFileString(
        path.join(dir, "parent.yaml"),
        lines(
          "name: parent",
          "nodes:",
          "  - { id: sub, type: workflow, path: lib/child.yaml, input_mapping: { x: n }, output: child_state }"
        )
      )
      const workflow = yield* WorkflowLoader.loadFile(path.join(dir, "parent.yaml"))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { n: 21 } })
      expect(result.status).toBe("succeeded")
      expect(result.state["child_state"]).toEqual({ x: 21, y: 42 })

      // A path needs a file reader: parsing text alone says so, by node.
      const text = yield* fs.readFileString(path.join(dir, "parent.yaml"))
      const error = yield* Effect.flip(WorkflowLoader.parse(text, "parent.yaml"))
      expect(error.reason).toBe("Unsupported")
      expect(error.message).toContain("workflow node 'sub' runs a workflow from 'lib/child.yaml'")
    }))

  it.effect("a failing child fails the parent node with the child's error; both traces are stored", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(
        lines(
          "workflows:",
          "  main:",
          "    nodes:",
          "      - { id: call, type: workflow, workflow: broken }",
          "      - { id: never, type: transform, transform: x = 1 }",
          "  broken:",
          "    nodes:",
          "      - { id: boom, type: transform, transform: y = missing_key + 1 }"
        ),
        "flows.yaml",
        { workflow: "main" }
      )
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      const node = result.trace.nodes.find((n) => n.nodeId === "call")!
      const childId = node.metadata["child_trace_id"] as string
      expect(node.success).toBe(false)
      expect(node.error).toContain(`sub-workflow 'broken' (trace ${childId}) failed: node 'boom' failed:`)
      expect(node.error).toContain("missing_key")
      expect(result.trace.nodes.map((n) => n.nodeId)).toEqual(["call"])
      const child = yield* (yield* TraceStore.TraceStore).get(childId)
      expect(child.status).toBe("failed")
      expect(child.parentTraceId).toBe(result.trace.traceId)
    }))

  it.effect("a cycle of sub-workflows is a load error naming the chain", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(WorkflowLoader.parse(
        lines(
          "workflows:",
          "  a:",
          "    nodes:",
          "      - { id: to_b, type: workflow, workflow: b }",
          "  b:",
          "    nodes:",
          "      - { id: step, type: transform, transform: x = 1 }",
          "      - { id: to_a, type: workflow, workflow: a }"
        ),
        "loop.yaml",
        { workflow: "a" }
      ))
      expect(error).toMatchObject({ reason: "Invalid", path: "loop.yaml", line: 8, nodeId: "to_a" })
      expect(error.message).toBe(
        "loop.yaml:8:47: workflow node 'to_a': sub-workflows form a cycle: 'loop.yaml#a' -> 'loop.yaml#b' -> " +
          "'loop.yaml#a'; a workflow may not run itself, directly or through other workflows"
      )

      const missing = yield* Effect.flip(WorkflowLoader.parse(
        lines("workflows:", "  a:", "    nodes:", "      - { id: call, type: workflow, workflow: nope }"),
        "one.yaml",
        { workflow: "a" }
      ))
      expect(missing.message).toBe(
        "one.yaml:4:47: workflow node 'call' runs workflow 'nope', which is not in this file; known workflows: a"
      )
    }))

  it.effect("executeStream streams the parent's events only and ends with the parent", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(parentAndChild, "flows.yaml", { workflow: "main" })
      const events = Chunk.toReadonlyArray(
        yield* Stream.runCollect(WorkflowExecutor.executeStream(workflow, { context: { team: "core" } }))
      )
      const started = events.filter((e) => e.eventType === "workflow_started")
      expect(started).toHaveLength(1)
      expect(events.at(-1)?.eventType).toBe("workflow_completed")
      expect(events.filter((e) => e.eventType === "node_completed").map((e) => e.nodeId)).toEqual([
        "prepare",
        "fix",
        "after"
      ])
    }))

  it.effect("continues a traceparent, and passes each node's own to the processes its tools start", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(
        lines(
          "name: ctx",
          "nodes:",
          "  - { id: show, type: compute, tools: [shell], inputs: { command: 'echo \"$TRACEPARENT|$TRACESTATE\"' } }"
        ),
        "ctx.yaml"
      )
      const incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
      const result = yield* WorkflowExecutor.execute(workflow, { traceParent: incoming, parentTraceId: "outer-run" })
      expect(result.status).toBe("succeeded")
      expect(result.trace.traceParent).toBe(incoming)
      expect(result.trace.parentTraceId).toBe("outer-run")
      const stdout = (result.state["show"] as { shell: { stdout: string } }).shell.stdout.trim()
      const [header, state] = stdout.split("|")
      // Same W3C trace id as the incoming one, the span of this node.
      expect(header).toBe(
        `00-0af7651916cd43dd8448eb211c80319c-${TraceContext.spanIdOf(result.trace.traceId, "show", 1, 1)}-01`
      )
      expect(state).toBe(`victor=${result.trace.traceId}`)
      expect(Either.isRight(TraceContext.parse(header!))).toBe(true)
    }))
})
