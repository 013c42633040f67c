import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { listFiles, sandbox, slowWorkflow, traceInBackground } from "./setup/runVictor.ts"

describe("cancelling a run", () => {
  it("SIGINT during a slow node stores the trace as cancelled with the nodes finished before it; exit 130", async () => {
    const { home, traceDir } = sandbox()
    const file = slowWorkflow(home, 30)
    const run = traceInBackground(file, { home })
    const started = Date.now()
    // Interrupt once the slow command is running, as the event stream shows. Once: a second SIGINT is a forced quit.
    await run.slowToolStarted
    run.child.kill("SIGINT")
    const { code, signal, stderr } = await run.ended
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
