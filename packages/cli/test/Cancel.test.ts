import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { listFiles, repoRoot, sandbox, slowWorkflow, victorBin } from "./setup/runVictor.ts"

describe("cancelling a run", () => {
  it("SIGINT during a slow node stores the trace as cancelled with the nodes finished before it; exit 130", async () => {
    const { home, traceDir } = sandbox()
    const file = slowWorkflow(home, 30)
    const child = spawn(process.execPath, [victorBin, "workflow", "trace", file, "--events", "ndjson"], {
      cwd: repoRoot,
      env: { ...process.env, HOME: home, NO_COLOR: "1" }
    })
    let stdout = ""
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    // Interrupt once the slow command is running, as the event stream shows. Once: a second SIGINT is a forced quit.
    let interrupted = false
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      if (!interrupted && /"event_type":"tool_call_started"[^\n]*"node_id":"slow"/.test(stdout)) {
        interrupted = true
        child.kill("SIGINT")
      }
    })
    const started = Date.now()
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("close", (c, s) => resolve([c, s]))
    )
    expect(Date.now() - started).toBeLessThan(20_000)
    // After cleaning up, the runtime re-raises SIGINT (a shell reports 130), as Unix programs should.
    expect(code === 130 || signal === "SIGINT").toBe(true)
    expect(stderr).toContain(`victor: cancelled; the trace was stored with status "cancelled" in ${traceDir}`)
    expect(stderr).not.toMatch(/\n\s+at /)
    const stored = listFiles(traceDir)
    expect(stored).toHaveLength(1)
    const trace = JSON.parse(readFileSync(join(traceDir, stored[0]!), "utf8")) as {
      status: string
      nodes: Array<{ node_id: string; success: boolean; error: string | null }>
    }
    expect(trace.status).toBe("cancelled")
    expect(trace.nodes.map((n) => [n.node_id, n.success, n.error])).toEqual([
      ["quick", true, null],
      ["slow", false, "cancelled"]
    ])
  })
})
