import { describe, expect, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { example, listFiles, storedTraces, plain, runVictor, sandbox } from "./setup/runVictor.ts"

describe("victor workflow validate", () => {
  it("accepts a valid workflow without running it", () => {
    const { home, traceDir } = sandbox()
    const run = runVictor(["workflow", "validate", example("code_review.yaml")], { home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("workflow 'code_review' is valid (8 nodes)")
    expect(listFiles(traceDir)).toEqual([])
  })

  it("reports warnings and errors with file and line, and exits 2", () => {
    const { home, traceDir } = sandbox()
    const file = join(home, "lint.yaml")
    writeFileSync(file, [
      "workflows:",
      "  w:",
      "    nodes:",
      "      - id: start",
      "        type: transform",
      "        transform: x = 1",
      "        next: [finish]",
      "      - id: orphan",
      "        type: transform",
      "        transform: y = 2",
      "      - id: finish",
      "        type: compute",
      "        tools: [teleport]"
    ].join("\n"))
    const run = runVictor(["workflow", "validate", file], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/warning: .*orphan/)
    expect(run.stderr).toMatch(new RegExp(`victor: ${file}:11: .*unknown tool 'teleport'.*known tools: grep, ls`))
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect(listFiles(traceDir)).toEqual([])
  })

  it("fails on a warning alone with --strict, for CI, and passes without it", () => {
    const { home } = sandbox()
    const file = join(home, "warn.yaml")
    writeFileSync(file, "workflows:\n  w:\n    nodes:\n      - id: a\n        type: transform\n        transform: x = 1\n" +
      "        colour: blue\n")
    const run = runVictor(["workflow", "validate", file, "--strict"], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/warning: .*colour/)
    expect(run.stderr).toContain("has 1 warning")
    const lenient = runVictor(["workflow", "validate", file], { home })
    expect(lenient.code).toBe(0)
    expect(lenient.stderr).toMatch(/warning: .*colour/)
  })
})

describe("victor workflow run", () => {
  it("runs and stores like trace, without an export, and exits 1 on a failed node", () => {
    const { home, traceDir } = sandbox()
    const ok = runVictor(["workflow", "run", example("code_review.yaml")], { home })
    expect(ok.code).toBe(0)
    expect(plain(ok.stdout)).toMatch(/Status\s+✓ succeeded/)
    expect(plain(ok.stdout)).not.toContain("Output")
    const failed = runVictor(["workflow", "run", example("failing_build.yaml")], { home })
    expect(failed.code).toBe(1)
    expect(plain(failed.stdout)).toContain("Failed nodes:")
    expect(storedTraces(traceDir)).toHaveLength(2)
  })

  it("has no --output option", () => {
    const { home } = sandbox()
    const run = runVictor(["workflow", "run", example("code_review.yaml"), "-o", join(home, "t.json")], { home })
    expect(run.code).toBe(2)
    expect(listFiles(home)).not.toContain("t.json")
  })
})

describe("parallel nodes from the CLI", () => {
  interface Interval {
    readonly node_id: string
    readonly timestamp: number
    readonly duration_seconds: number
    readonly tool_calls: ReadonlyArray<{ readonly tool_name: string }>
  }
  const children = (file: string) => {
    const trace = JSON.parse(readFileSync(file, "utf8")) as { nodes: Array<Interval> }
    return trace.nodes.filter((node) => ["find_todos", "list_packages", "count_files"].includes(node.node_id))
  }
  const overlaps = (a: Interval, b: Interval) =>
    a.timestamp < b.timestamp + b.duration_seconds && b.timestamp < a.timestamp + a.duration_seconds

  it("children overlap by default, each with its own tool call, and run one by one with --concurrency 1", () => {
    const { home } = sandbox()
    const together = join(home, "together.json")
    expect(runVictor(["workflow", "trace", example("parallel_checks.yaml"), "-o", together], { home }).code).toBe(0)
    const [a, b, c] = children(together)
    const toolOf: Record<string, string> = { find_todos: "grep", list_packages: "ls", count_files: "shell" }
    for (const child of [a, b, c]) expect(child!.tool_calls.map((t) => t.tool_name)).toEqual([toolOf[child!.node_id]])
    expect(overlaps(a!, b!) || overlaps(a!, c!) || overlaps(b!, c!)).toBe(true)

    const oneByOne = join(home, "one.json")
    const run = runVictor(["workflow", "trace", example("parallel_checks.yaml"), "-o", oneByOne, "--concurrency", "1"], {
      home
    })
    expect(run.code).toBe(0)
    const [x, y, z] = children(oneByOne)
    expect([overlaps(x!, y!), overlaps(x!, z!), overlaps(y!, z!)]).toEqual([false, false, false])
  })

  it("rejects --concurrency 0", () => {
    const { home, traceDir } = sandbox()
    const run = runVictor(["workflow", "trace", example("parallel_checks.yaml"), "--concurrency", "0"], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--concurrency must be at least 1")
    expect(listFiles(traceDir)).toEqual([])
  })
})

describe("--max-iterations", () => {
  it("stops a loop after N runs of a node, naming it; below 1 is bad input", () => {
    const { home, traceDir } = sandbox()
    const file = join(home, "loop.yaml")
    writeFileSync(file, [
      "workflows:",
      "  loop:",
      "    nodes:",
      "      - { id: bump, type: transform, transform: count = count + 1 }",
      "      - id: again",
      "        type: condition",
      "        condition: count < 100",
      "        branches: { true: bump, false: done }",
      "      - { id: done, type: transform, transform: finished = true }"
    ].join("\n"))
    const out = join(home, "loop.json")
    const run = runVictor(["workflow", "trace", file, "--context", `{"count": 0}`, "--max-iterations", "4", "-o", out], {
      home
    })
    expect(run.code).toBe(1)
    expect(plain(run.stdout)).toContain("max_iterations (4 per node)")
    const trace = JSON.parse(readFileSync(out, "utf8")) as { nodes: Array<{ node_id: string; metadata: object }> }
    expect(trace.nodes.filter((n) => n.node_id === "bump").map((n) => n.metadata)).toEqual(
      [1, 2, 3, 4].map((iteration) => ({ iteration }))
    )
    const bad = runVictor(["workflow", "trace", file, "--max-iterations", "0"], { home })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--max-iterations must be at least 1")
    expect(storedTraces(traceDir)).toHaveLength(1)
  })
})
