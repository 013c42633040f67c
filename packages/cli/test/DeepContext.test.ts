// Any JSON value is traceable: a `--context` nested 10,000 or 100,000 levels deep (from a file) and one of 5 MB (from
// stdin) run, are stored, and show; values deeper than 64 levels are kept as "[depth limit]". Bad JSON in a file is
// reported with the file, line and column.
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { listFiles, repoRoot, runVictor, sandbox, victorBin, type VictorRun } from "./setup/runVictor.ts"

const workflow = (dir: string): string => {
  const file = join(dir, "deep.yaml")
  writeFileSync(file, [
    "name: deep",
    "nodes:",
    // The deep value goes through an expression into the state, and so into the node's outputs.
    "  - { id: copy, type: transform, transform: \"copy = v\" }",
    "  - { id: say, type: compute, tools: [shell], inputs: { command: \"echo done\" } }"
  ].join("\n") + "\n")
  return file
}

const nestedArrays = (depth: number) => `{"v": ${"[".repeat(depth)}${"]".repeat(depth)}, "task": "deep"}`
const nestedObjects = (depth: number) => `{"v": ${`{"a": `.repeat(depth)}1${"}".repeat(depth)}, "task": "deep"}`

// Runs victor with `input` on its stdin.
const runWithStdin = (args: ReadonlyArray<string>, home: string, input: string): VictorRun => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("VICTOR_")) env[key] = value
  }
  const result = spawnSync(process.execPath, [victorBin, ...args], {
    cwd: repoRoot,
    env: { ...env, HOME: home, NO_COLOR: "1" },
    input,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const noOverflow = (...runs: ReadonlyArray<VictorRun>) => {
  for (const run of runs) expect(run.stdout + run.stderr).not.toMatch(/call stack|internal error/i)
}

// The one stored trace of a sandbox, as JSON.
const storedTrace = (traceDir: string) => {
  const files = listFiles(traceDir).filter((name) => name.endsWith(".json") && !name.startsWith("."))
  expect(files).toHaveLength(1)
  const text = readFileSync(join(traceDir, files[0]!), "utf8")
  return { text, trace: JSON.parse(text) as { status: string; inputs: Record<string, unknown> } }
}

describe("a deep or large --context", () => {
  for (
    const [name, text] of [
      ["arrays nested 10,000 levels", nestedArrays(10_000)],
      ["objects nested 100,000 levels", nestedObjects(100_000)]
    ] as const
  ) {
    it(`${name}, from --context @file: the run succeeds, is stored with the value cut at 64 levels, and shows`, () => {
      const { home, traceDir } = sandbox()
      const file = workflow(home)
      const contextFile = join(home, "context.json")
      writeFileSync(contextFile, text)
      const run = runVictor(["workflow", "trace", file, "--context", `@${contextFile}`], { home })
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const { text: stored, trace } = storedTrace(traceDir)
      expect(trace.status).toBe("succeeded")
      expect(trace.inputs["task"]).toBe("deep")
      expect(stored).toContain("[depth limit]")
      // 64 levels, not 100,000: a small file.
      expect(stored.length).toBeLessThan(200_000)
      const show = runVictor(["trace", "show", "last", "--full"], { home })
      expect(show.code).toBe(0)
      expect(show.stdout).toContain("copy")
      const list = runVictor(["trace", "list", "--json"], { home })
      expect(list.code).toBe(0)
      noOverflow(run, show, list)
    })
  }

  it("a 5 MB context from --context - (stdin): the run succeeds and the trace is stored and shows", () => {
    const { home, traceDir } = sandbox()
    const file = workflow(home)
    const items = Array.from({ length: 50_000 }, (_, i) => ({ id: i, text: `item ${i} `.padEnd(90, "x") }))
    const context = JSON.stringify({ v: items, task: "deep" })
    expect(context.length).toBeGreaterThan(5_000_000)
    const run = runWithStdin(["workflow", "trace", file, "--context", "-"], home, context)
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const { trace } = storedTrace(traceDir)
    expect(trace.status).toBe("succeeded")
    expect(trace.inputs["task"]).toBe("deep")
    const show = runVictor(["trace", "show", "last"], { home })
    expect(show.code).toBe(0)
    expect(show.stdout).toContain("copy")
    noOverflow(run, show)
  })

  it("--context @file: a missing file and bad JSON are reported with the file, line and column; nothing runs", () => {
    const { home, traceDir } = sandbox()
    const file = workflow(home)
    const bad = join(home, "bad.json")
    writeFileSync(bad, `{\n  "task": "x",\n  "n": [1, 2,]\n}\n`)
    const badRun = runVictor(["workflow", "trace", file, "--context", `@${bad}`], { home })
    expect(badRun.code).not.toBe(0)
    expect(badRun.stderr).toContain(`invalid JSON in ${bad} at line 3, column 14`)
    const missing = runVictor(["workflow", "trace", file, "--context", `@${join(home, "nope.json")}`], { home })
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain(`cannot read ${join(home, "nope.json")}: no such file`)
    const notObject = runWithStdin(["workflow", "trace", file, "--context", "-"], home, "[1, 2]")
    expect(notObject.code).not.toBe(0)
    expect(notObject.stderr).toContain("--context must be a JSON object, not an array")
    const inline = runVictor(["workflow", "trace", file, "--context", `{"a": tru}`], { home })
    expect(inline.stderr).toContain("invalid --context JSON at line 1, column 7")
    expect(listFiles(traceDir)).toEqual([])
    noOverflow(badRun, missing, notObject, inline)
  })
})
