import { describe, expect, it } from "@effect/vitest"
import * as TraceContext from "@victor/core/TraceContext"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { listFiles, runVictor, sandbox, victorBin } from "./setup/runVictor.ts"

interface StoredTrace {
  readonly trace_id: string
  readonly workflow_name: string
  readonly status: string
  readonly parent_trace_id: string | null
  readonly trace_parent: string | null
  readonly nodes: ReadonlyArray<{ readonly node_id: string; readonly metadata: Record<string, unknown> }>
}

/** The stored traces of a directory (final files only), by workflow name. */
const storedTraces = (dir: string): Map<string, StoredTrace> => {
  const traces = new Map<string, StoredTrace>()
  for (const file of listFiles(dir).filter((name) => name.endsWith(".json"))) {
    const trace = JSON.parse(readFileSync(join(dir, file), "utf8")) as StoredTrace
    traces.set(trace.workflow_name, trace)
  }
  return traces
}

const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`

describe("trace context across processes", () => {
  it("a victor run inside a shell node is linked to the outer run and node", () => {
    const { home, traceDir } = sandbox()
    const inner = join(home, "inner.yaml")
    writeFileSync(inner, "name: inner\nnodes:\n  - { id: work, type: transform, transform: x = 1 }\n")
    const outer = join(home, "outer.yaml")
    const command = `${quote(process.execPath)} ${quote(victorBin)} workflow run ${quote(inner)}`
    writeFileSync(outer, [
      "name: outer",
      "nodes:",
      "  - id: nested",
      "    type: compute",
      "    tools: [shell]",
      `    inputs: { command: ${JSON.stringify(command)} }`
    ].join("\n"))
    const run = runVictor(["workflow", "run", outer], { home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)

    const traces = storedTraces(traceDir)
    const outerTrace = traces.get("outer")!
    const innerTrace = traces.get("inner")!
    expect(innerTrace.status).toBe("succeeded")
    expect(innerTrace.parent_trace_id).toBe(outerTrace.trace_id)
    expect(innerTrace.trace_parent).toBe(
      TraceContext.format({
        traceId: TraceContext.traceIdOf(outerTrace.trace_id),
        parentId: TraceContext.spanIdOf(outerTrace.trace_id, "nested", 1, 1)
      })
    )
    expect(outerTrace.parent_trace_id).toBeNull()
    expect(outerTrace.trace_parent).toBeNull()
  })

  it("TRACEPARENT becomes the run's parent; a malformed one is a warning and is ignored", () => {
    const { home, traceDir } = sandbox()
    const file = join(home, "flow.yaml")
    writeFileSync(file, "name: flow\nnodes:\n  - { id: a, type: transform, transform: x = 1 }\n")
    const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    const ok = runVictor(["workflow", "run", file], { home, env: { TRACEPARENT: header } })
    expect(ok.code).toBe(0)
    expect(ok.stderr).toBe("")
    const first = storedTraces(traceDir).get("flow")!
    expect(first.trace_parent).toBe(header)
    expect(first.parent_trace_id).toBeNull()

    const { home: home2, traceDir: traceDir2 } = sandbox()
    const bad = runVictor(["workflow", "run", file], { home: home2, env: { TRACEPARENT: "00-not-a-header" } })
    expect(bad.code).toBe(0)
    expect(bad.stderr).toContain('warning: TRACEPARENT ignored: "00-not-a-header" is not a W3C traceparent')
    expect(storedTraces(traceDir2).get("flow")!.trace_parent).toBeNull()
  })

  it("a sub-workflow node stores the child's trace linked to the parent", () => {
    const { home, traceDir } = sandbox()
    const file = join(home, "subs.yaml")
    writeFileSync(file, [
      "workflows:",
      "  main:",
      "    nodes:",
      "      - { id: call, type: workflow, workflow: child, input_mapping: { n: $ctx.n }, output_mapping: { m: m } }",
      "  child:",
      "    nodes:",
      "      - { id: double, type: transform, transform: m = n * 2 }"
    ].join("\n"))
    const run = runVictor(["workflow", "run", file, "--workflow", "main", "--context", '{"n": 4}'], { home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const traces = storedTraces(traceDir)
    const main = traces.get("main")!
    const child = traces.get("child")!
    expect(child.parent_trace_id).toBe(main.trace_id)
    expect(main.nodes[0]!.metadata["child_trace_id"]).toBe(child.trace_id)
    expect(child.trace_parent).toBe(main.nodes[0]!.metadata["traceparent"])
  })
})
