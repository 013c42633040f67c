import { describe, expect, it } from "@effect/vitest"
import { expectGuideTraceStructure } from "@victor/core/testing/GuideTraceStructure"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { example, listFiles, storedTraces, modeOf, plain, runVictor, sandbox } from "./setup/runVictor.ts"


interface ToolJson {
  tool_name: string
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
  duration_seconds: number
  success: boolean
}
interface NodeJson {
  node_id: string
  node_type: string
  duration_seconds: number
  success: boolean
  error: string | null
  tool_calls: Array<ToolJson>
}
interface TraceJson {
  trace_id: string
  workflow_name: string
  start_time: number
  end_time: number
  duration_seconds: number
  status: string
  nodes: Array<NodeJson>
  events: Array<{ event_type: string }>
}

describe("victor workflow trace", () => {
  it("writes the guide's JSON with real timings and one record per tool call (-o)", () => {
    const { home, traceDir } = sandbox()
    const out = join(home, "t.json")
    const run = runVictor(["workflow", "trace", example("code_review.yaml"), "-o", out], { home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = JSON.parse(readFileSync(out, "utf8")) as TraceJson
    expectGuideTraceStructure(trace)
    expect(trace.status).toBe("succeeded")
    expect(trace.end_time).toBeGreaterThanOrEqual(trace.start_time)
    expect(trace.duration_seconds).toBe(trace.end_time - trace.start_time)
    expect(trace.nodes.length).toBeGreaterThan(2)
    const toolNodes = trace.nodes.filter((node) => node.tool_calls.length > 0)
    expect(toolNodes.length).toBeGreaterThan(0)
    for (const node of trace.nodes) expect(node.success).toBe(true)
    for (const node of toolNodes) {
      expect(node.duration_seconds).toBeGreaterThan(0)
      for (const call of node.tool_calls) {
        expect(Object.keys(call.inputs).length).toBeGreaterThan(0)
        expect(Object.keys(call.outputs).length).toBeGreaterThan(0)
      }
    }
    // One tool-call record per invocation: the events say the same.
    const toolCalls = trace.nodes.reduce((n, node) => n + node.tool_calls.length, 0)
    expect(trace.events.filter((e) => e.event_type === "tool_call_completed")).toHaveLength(toolCalls)
    expect(trace.nodes.some((n) => n.tool_calls.some((c) => c.tool_name === "shell"))).toBe(true)
    // The same trace is stored, private to the user.
    const stored = storedTraces(traceDir)
    expect(stored).toEqual([`${trace.workflow_name}_${trace.trace_id}.json`])
    expect(modeOf(join(traceDir, stored[0]!))).toBe(0o600)
    expect(modeOf(traceDir)).toBe(0o700)
    expect(plain(run.stdout)).toContain(`Output      ${out}`)
  })

  it("without -o prints the summary and stores the trace", () => {
    const { home, traceDir } = sandbox()
    const run = runVictor(["workflow", "trace", example("code_review.yaml")], { home })
    expect(run.code).toBe(0)
    const text = plain(run.stdout)
    for (const label of ["Workflow", "Status", "Trace ID", "Duration", "Nodes", "Slowest nodes:", "Most used tools:"]) {
      expect(text).toContain(label)
    }
    expect(text).toMatch(/✓ succeeded/)
    const traceId = /Trace ID\s+(\S+)/.exec(text)?.[1]
    expect(listFiles(traceDir).some((file) => file.endsWith(`_${traceId}.json`))).toBe(true)
  })

  it("honours --trace-dir and VICTOR_TRACE_DIR", () => {
    const { home, traceDir } = sandbox()
    const flagged = join(home, "flag-dir")
    const fromEnv = join(home, "env-dir")
    expect(runVictor(["workflow", "trace", example("code_review.yaml"), "--trace-dir", flagged], { home }).code).toBe(0)
    expect(storedTraces(flagged)).toHaveLength(1)
    const envRun = runVictor(["workflow", "trace", example("code_review.yaml")], {
      home,
      env: { VICTOR_TRACE_DIR: fromEnv }
    })
    expect(envRun.code).toBe(0)
    expect(storedTraces(fromEnv)).toHaveLength(1)
    expect(listFiles(traceDir)).toEqual([])
  })

  it("a failing command gives a failed node with the error, a stored trace and exit code 1", () => {
    const { home, traceDir } = sandbox()
    const out = join(home, "failed.json")
    const run = runVictor(["workflow", "trace", example("failing_build.yaml"), "-o", out], { home })
    expect(run.code).toBe(1)
    const trace = JSON.parse(readFileSync(out, "utf8")) as TraceJson
    expect(trace.status).toBe("failed")
    const failed = trace.nodes.filter((node) => !node.success)
    expect(failed).toHaveLength(1)
    expect(failed[0]!.error).toMatch(/exited with code/)
    expect(failed[0]!.tool_calls.at(-1)?.success).toBe(false)
    expect(storedTraces(traceDir)).toHaveLength(1)
    expect(plain(run.stdout)).toContain("Failed nodes:")
    expect(plain(run.stdout)).toContain(failed[0]!.node_id)
  })

  it("passes --context as the initial state", () => {
    const { home } = sandbox()
    const file = join(home, "ctx.yaml")
    writeFileSync(file, [
      "workflows:",
      "  greet:",
      "    nodes:",
      "      - id: shout",
      "        type: transform",
      "        transform: |",
      "          loud = upper(name)"
    ].join("\n"))
    const out = join(home, "ctx.json")
    const run = runVictor(["workflow", "trace", file, "-o", out, "--context", `{"name": "ada"}`], { home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = JSON.parse(readFileSync(out, "utf8")) as { inputs: unknown; outputs: Record<string, unknown> }
    expect(trace.inputs).toEqual({ name: "ada" })
    expect(trace.outputs).toMatchObject({ name: "ada", loud: "ADA" })
  })
})

describe("bad input", () => {
  const badYaml: Record<string, { readonly yaml: string; readonly message: RegExp }> = {
    "malformed YAML": {
      yaml: "workflows:\n  w:\n    nodes:\n      - id: a\n        type: compute\n      tools: [shell\n",
      message: /bad\.yaml:\d+:\d+/
    },
    "an unknown node type": {
      yaml: "workflows:\n  w:\n    nodes:\n      - id: a\n        type: teleport\n",
      message: /teleport/
    },
    "an unknown tool": {
      yaml: "workflows:\n  w:\n    nodes:\n      - id: a\n        type: compute\n        tools: [teleport]\n",
      message: /unknown tool 'teleport'.*known tools/
    },
    "next pointing at a missing node": {
      yaml: "workflows:\n  w:\n    nodes:\n      - id: a\n        type: transform\n        transform: x = 1\n" +
        "        next: [ghost]\n",
      message: /ghost/
    },
    "a branch pointing at a missing node": {
      yaml: "workflows:\n  w:\n    nodes:\n      - id: check\n        type: condition\n        condition: x > 1\n" +
        "        branches:\n          \"true\": ghost_branch\n          \"false\": end\n      - id: end\n" +
        "        type: transform\n        transform: y = 2\n",
      message: /ghost_branch/
    }
  }

  const expectCleanFailure = (run: { code: number | null; stderr: string; stdout: string }, traceDir: string) => {
    expect(run.code).toBe(2)
    expect(run.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
    expect(run.stderr).toMatch(/^victor: /)
    expect(listFiles(traceDir)).toEqual([])
  }

  for (const [name, { message, yaml }] of Object.entries(badYaml)) {
    it(`${name}: one clear line, exit code 2, nothing stored`, () => {
      const { home, traceDir } = sandbox()
      const file = join(home, "bad.yaml")
      writeFileSync(file, yaml)
      const run = runVictor(["workflow", "trace", file, "-o", join(home, "t.json")], { home })
      expectCleanFailure(run, traceDir)
      expect(run.stderr).toMatch(message)
      expect(run.stderr).toContain(file)
      expect(listFiles(home)).not.toContain("t.json")
    })
  }

  it("a missing file", () => {
    const { home, traceDir } = sandbox()
    const run = runVictor(["workflow", "trace", join(home, "nope.yaml")], { home })
    expectCleanFailure(run, traceDir)
    expect(run.stderr).toContain("nope.yaml")
  })

  it("the message of malformed YAML names line and column", () => {
    const { home } = sandbox()
    const file = join(home, "bad.yaml")
    writeFileSync(file, "workflows:\n  w:\n    nodes: [\n      - id: a\n")
    const run = runVictor(["workflow", "trace", file], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/line \d+|:\d+:\d+/)
  })

  it("invalid --context JSON", () => {
    const { home, traceDir } = sandbox()
    for (const context of ["{task: 1}", "[1, 2]", "42"]) {
      const run = runVictor(["workflow", "trace", example("code_review.yaml"), "--context", context], { home })
      expectCleanFailure(run, traceDir)
      expect(run.stderr).toContain("--context")
    }
  })

  it("an unknown --format lists the known ones; an unknown -o extension asks for --format", () => {
    const { home, traceDir } = sandbox()
    const format = runVictor(["workflow", "trace", example("code_review.yaml"), "--format", "xml"], { home })
    expectCleanFailure(format, traceDir)
    expect(format.stderr).toMatch(/unknown format "xml".*json/)
    const extension = runVictor(["workflow", "trace", example("code_review.yaml"), "-o", join(home, "t.xyz")], {
      home
    })
    expectCleanFailure(extension, traceDir)
    expect(extension.stderr).toContain("--format")
  })

  it("an output path that is a directory fails with exit code 2 before anything runs", () => {
    const { home, traceDir } = sandbox()
    const dir = join(home, "out.json")
    mkdirSync(dir)
    const run = runVictor(["workflow", "trace", example("code_review.yaml"), "-o", dir], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("is a directory")
    expect(listFiles(traceDir)).toHaveLength(0)
  })

  it("unknown options are usage errors with exit code 2", () => {
    const { home } = sandbox()
    const run = runVictor(["workflow", "trace", example("code_review.yaml"), "--bogus"], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })
})

describe("--help", () => {
  it("explains every option of workflow trace with an example", () => {
    const { home } = sandbox()
    const run = runVictor(["workflow", "trace", "--help"], { home })
    expect(run.code).toBe(0)
    const text = plain(run.stdout)
    for (const option of ["--output", "-o", "--format", "--context", "--workflow", "--trace-dir"]) {
      expect(text).toContain(option)
    }
    expect(text.match(/Example/g)?.length).toBeGreaterThanOrEqual(5)
  })

  it("is there at every level", () => {
    const { home } = sandbox()
    for (const args of [["--help"], ["workflow", "--help"]]) {
      const run = runVictor(args, { home })
      expect(run.code).toBe(0)
      expect(plain(run.stdout)).toMatch(/workflow trace/)
    }
  })
})
