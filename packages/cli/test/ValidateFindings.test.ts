import { describe, expect, it } from "@effect/vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot, runVictor, sandbox } from "./setup/runVictor.ts"

const victorFormat = (name: string) => join(repoRoot, "packages", "workflow", "test", "fixtures", "victor-format", name)

describe("victor workflow validate: findings", () => {
  it("reports unregistered named conditions and handlers of a Victor-format file by name, file:line:col and node", () => {
    const { home } = sandbox()
    const file = victorFormat("bugfix.yaml")
    const run = runVictor(["workflow", "validate", file, "--workflow", "fix_defect"], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      `warning: ${file}:86:20: node 'tests_ok': condition 'suite_status' is not a registered condition`
    )
    expect(run.stderr).toContain(`warning: ${file}:103:20: node 'retry_or_escalate': condition 'next_fix_step'`)
    expect(run.stderr).toContain(`warning: ${file}:139:20: node 'quality_gate': condition 'quality_grade'`)
    // `command: $ctx.test_command` is one quoted word now that values are data.
    expect(run.stderr).toContain(
      `warning: ${file}:76:11: node 'verify' shell command: the value of $ctx.test_command is passed as one quoted word`
    )
    expect(run.stderr).toContain(
      `victor: ${file}:126:18: node 'quality' uses handler 'lint_and_types', which is not registered; ` +
        "registered handlers: passthrough (plugins add more) (1 error, 4 warnings in all)"
    )
  })

  it("reports a loop without an exit and a cycle of sub-workflows", () => {
    const { home } = sandbox()
    const loop = join(home, "loop.yaml")
    writeFileSync(loop, [
      "name: loop",
      "nodes:",
      "  - { id: start, type: transform, transform: n = 0 }",
      "  - { id: spin, type: transform, transform: n = n + 1, next: [check] }",
      "  - { id: check, type: condition, condition: n > 3, branches: { \"true\": spin, default: spin } }"
    ].join("\n"))
    const looped = runVictor(["workflow", "validate", loop, "--strict"], { home })
    expect(looped.code).toBe(2)
    expect(looped.stderr).toContain(
      `warning: ${loop}:4:5: loop 'spin' -> 'check' -> 'spin' has no exit: no node in it reaches the end`
    )

    const cycle = join(home, "cycle.yaml")
    writeFileSync(cycle, [
      "workflows:",
      "  a:",
      "    nodes:",
      "      - { id: go, type: workflow, path: ./cycle.yaml, workflow: b }",
      "  b:",
      "    nodes:",
      "      - { id: back, type: workflow, workflow: a }"
    ].join("\n"))
    const cyclic = runVictor(["workflow", "validate", cycle, "--workflow", "a"], { home })
    expect(cyclic.code).toBe(2)
    expect(cyclic.stderr).toContain(
      `victor: ${cycle}:7:47: workflow node 'back': sub-workflows form a cycle: '${cycle}#a' -> '${cycle}#b' -> ` +
        `'${cycle}#a'`
    )
  })

  it("accepts a workflow with a sub-workflow, counting it", () => {
    const { home } = sandbox()
    const file = join(home, "ok.yaml")
    writeFileSync(file, [
      "workflows:",
      "  main:",
      "    nodes:",
      "      - { id: call, type: workflow, workflow: child }",
      "  child:",
      "    nodes:",
      "      - { id: a, type: transform, transform: x = 1 }"
    ].join("\n"))
    const run = runVictor(["workflow", "validate", file, "--workflow", "main"], { home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("workflow 'main' is valid (1 nodes, 1 sub-workflow)")
  })
})
