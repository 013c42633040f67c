import { describe, expect, it } from "@effect/vitest"
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as ProgressView from "../src/ProgressView.ts"
import { plain, repoRoot, sandbox, victorBin } from "./setup/runVictor.ts"

describe("the live view", () => {
  it("counts done, failed and running nodes and shows the tool each is calling", () => {
    let clock = 1_000
    const written: Array<string> = []
    const view = ProgressView.make({ columns: 100, write: (text) => void written.push(text) }, () => clock)
    const trace = { traceId: "t", workflowName: "w" }
    const feed = (event: ExecutionEvent) => Effect.runSync(view.handler.onEvent!(event, trace))
    feed({ eventType: "node_started", timestamp: 0, nodeId: "a" })
    feed({ eventType: "node_started", timestamp: 0, nodeId: "b" })
    feed({ eventType: "tool_call_started", timestamp: 0, nodeId: "b", toolName: "shell" })
    clock += 2_500
    expect(view.line()).toMatch(/ 2\.5s · 0 done · running: a, b \(shell\)$/)
    feed({ eventType: "node_completed", timestamp: 0, nodeId: "a" })
    feed({ eventType: "tool_call_failed", timestamp: 0, nodeId: "b", toolName: "shell" })
    feed({ eventType: "node_failed", timestamp: 0, nodeId: "b" })
    expect(view.line()).toMatch(/ 2\.5s · 1 done · 1 failed$/)
    expect(written.every((text) => text.startsWith("\r\u001b[2K"))).toBe(true)
    view.clear()
    expect(written.at(-1)).toBe("\r\u001b[2K")
  })

  it("shows a hostile node id and tool name as text, on one line", () => {
    const written: Array<string> = []
    const view = ProgressView.make({ columns: 400, write: (text) => void written.push(text) })
    const trace = { traceId: "t", workflowName: "w" }
    const hostile = "n\u001b]0;PWNED\u0007\u001b[2J\r\n\t\u009b31m\u202e\u2066\u007f"
    const feed = (event: ExecutionEvent) => Effect.runSync(view.handler.onEvent!(event, trace))
    feed({ eventType: "node_started", timestamp: 0, nodeId: hostile })
    feed({ eventType: "tool_call_started", timestamp: 0, nodeId: hostile, toolName: `tool${hostile}` })
    const escaped = String.raw`\u001b]0;PWNED\u0007\u001b[2J\r\n\t\u009b31m\u202e\u2066\u007f`
    expect(view.line()).toContain(`running: n${escaped} (tooln${escaped})`)
    expect(written.length).toBeGreaterThan(0)
    for (const text of written) {
      // The view's own redraw (`\r ESC[2K`) first, then only text.
      expect(text.startsWith("\r\u001b[2K")).toBe(true)
      expect(text.slice("\r\u001b[2K".length)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
    }
  })

  it("fits the terminal width, and assumes 80 columns when the terminal does not say", () => {
    const view = ProgressView.make({ columns: 0, write: () => {} })
    const trace = { traceId: "t", workflowName: "w" }
    for (let i = 0; i < 30; i++) {
      Effect.runSync(view.handler.onEvent!({ eventType: "node_started", timestamp: 0, nodeId: `node_${i}` }, trace))
    }
    expect(view.line().length).toBe(79)
    expect(view.line().endsWith("…")).toBe(true)
  })

  it("is drawn on a real terminal and erased before the summary", () => {
    const { home } = sandbox()
    const file = join(home, "slow.yaml")
    writeFileSync(file, "workflows:\n  slow:\n    nodes:\n      - id: slow\n        type: compute\n" +
      "        tools: [shell]\n        inputs: { command: \"sleep 0.6\" }\n")
    // `script` runs victor on a pseudo-terminal, as a person's shell would.
    const run = spawnSync("timeout", ["-k", "5", "40", "script", "-qfec", `"${process.execPath}" "${victorBin}" workflow trace "${file}"`, "/dev/null"], {
      cwd: repoRoot,
      env: { ...process.env, HOME: home, CI: "", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000
    })
    expect(run.status).toBe(0)
    const output = plain(run.stdout)
    expect(output).toMatch(/running: slow \(shell\)/)
    expect(output).toMatch(/\r\u001b\[2KWorkflow {4}slow|\r\nWorkflow {4}slow|^Workflow {4}slow/m)
  })

  it("stays out of pipes", () => {
    const { home } = sandbox()
    const run = spawnSync(process.execPath, [victorBin, "workflow", "trace", join(repoRoot, "examples/workflows/code_review.yaml")], {
      cwd: repoRoot,
      env: { ...process.env, HOME: home, NO_COLOR: "1" },
      encoding: "utf8"
    })
    expect(run.status).toBe(0)
    expect(run.stderr).toBe("")
    expect(run.stdout).not.toContain("\u001b[2K")
  })
})
