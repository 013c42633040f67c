import { describe, expect, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { listFiles, repoRoot, sandbox, slowWorkflow, victorBin } from "./setup/runVictor.ts"

describe("--events ndjson", () => {
  it("streams every event as a JSON line while the run is going, the summary on stderr", async () => {
    const { home, traceDir } = sandbox()
    const child = spawn(process.execPath, [victorBin, "workflow", "trace", slowWorkflow(home, 1.5), "--events", "ndjson"], {
      cwd: repoRoot,
      env: { ...process.env, HOME: home, NO_COLOR: "1" }
    })
    const arrivals: Array<{ readonly at: number; readonly line: string }> = []
    let buffered = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk
      const lines = buffered.split("\n")
      buffered = lines.pop()!
      for (const line of lines) arrivals.push({ at: Date.now(), line })
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
    const exitedAt = Date.now()

    expect(code).toBe(0)
    expect(buffered).toBe("")
    const events = arrivals.map(({ line }) => JSON.parse(line) as { trace_id: string; event_type: string })
    expect(events.map((e) => e.event_type)).toEqual([
      "workflow_started",
      "node_started",
      "tool_call_started",
      "tool_call_completed",
      "node_completed",
      "node_started",
      "tool_call_started",
      "tool_call_completed",
      "node_completed",
      "node_started",
      "node_completed",
      "workflow_completed"
    ])
    // The events before the slow command finished arrived long before the process ended.
    expect(exitedAt - arrivals[6]!.at).toBeGreaterThan(1000)
    expect(stderr).toContain("Workflow    slow")
    const stored = listFiles(traceDir)
    expect(stored).toEqual([`slow_${events[0]!.trace_id}.json`])
    const trace = JSON.parse(readFileSync(join(traceDir, stored[0]!), "utf8")) as { events: Array<unknown> }
    expect(trace.events).toHaveLength(events.length)
  })

  it("| head -n 3 gets the first events; the run still finishes and stores its whole trace", () => {
    const { home, traceDir } = sandbox()
    const run = spawnSync("sh", ["-c", `"${process.execPath}" "${victorBin}" workflow trace "${slowWorkflow(home, 1.5)}" ` +
      `--events ndjson 2>"${join(home, "stderr.txt")}" | head -n 3`], {
      cwd: repoRoot,
      env: { ...process.env, HOME: home, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000
    })
    expect(run.status).toBe(0)
    const lines = run.stdout.trim().split("\n")
    expect(lines.map((line) => (JSON.parse(line) as { event_type: string }).event_type)).toEqual([
      "workflow_started",
      "node_started",
      "tool_call_started"
    ])
    // head exits early; victor finishes the run anyway (poll briefly: the pipeline returns when head does).
    const deadline = Date.now() + 10_000
    while (listFiles(traceDir).length === 0 && Date.now() < deadline) spawnSync("sleep", ["0.2"])
    const stored = listFiles(traceDir)
    expect(stored).toHaveLength(1)
    const trace = JSON.parse(readFileSync(join(traceDir, stored[0]!), "utf8")) as { status: string; nodes: Array<unknown> }
    expect(trace.status).toBe("succeeded")
    expect(trace.nodes).toHaveLength(3)
    expect(readFileSync(join(home, "stderr.txt"), "utf8")).not.toMatch(/EPIPE|\n\s+at /)
  })
})
