import { describe, expect, it } from "@effect/vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { example, listFiles, plain, runVictor, sandbox } from "./setup/runVictor.ts"

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

  it("fails on a warning alone, for CI", () => {
    const { home } = sandbox()
    const file = join(home, "warn.yaml")
    writeFileSync(file, "workflows:\n  w:\n    nodes:\n      - id: a\n        type: transform\n        transform: x = 1\n" +
      "        colour: blue\n")
    const run = runVictor(["workflow", "validate", file], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/warning: .*colour/)
    expect(run.stderr).toContain("has 1 warning")
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
    expect(listFiles(traceDir)).toHaveLength(2)
  })

  it("has no --output option", () => {
    const { home } = sandbox()
    const run = runVictor(["workflow", "run", example("code_review.yaml"), "-o", join(home, "t.json")], { home })
    expect(run.code).toBe(2)
    expect(listFiles(home)).not.toContain("t.json")
  })
})
