import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { example, listFiles, plain, repoRoot, runVictor, sandbox, victorBin } from "./setup/runVictor.ts"

interface GateTrace {
  status: string
  nodes: Array<{ node_id: string; success: boolean; error: string | null; outputs: Record<string, unknown> }>
  events: Array<{ event_type: string; node_id?: string }>
}

const gateRun = (args: ReadonlyArray<string>) => {
  const { home, traceDir } = sandbox()
  const out = join(home, "gate.json")
  const run = runVictor(["workflow", "trace", example("release_gate.yaml"), "-o", out, ...args], { home })
  const trace = listFiles(home).includes("gate.json") ? JSON.parse(readFileSync(out, "utf8")) as GateTrace : undefined
  return { run, trace, traceDir }
}

describe("hitl nodes from the CLI", () => {
  it("takes the answer from --context and records the request and the answer", () => {
    const { run, trace } = gateRun(["--context", JSON.stringify({ version: "1.2.3", hitl: { gate: true } })])
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(trace!.status).toBe("succeeded")
    const gate = trace!.nodes.find((n) => n.node_id === "gate")!
    expect(gate.outputs).toMatchObject({ approved: true, timed_out: false })
    expect(trace!.events.filter((e) => e.node_id === "gate").map((e) => e.event_type)).toEqual(
      expect.arrayContaining(["hitl_requested", "hitl_resolved"])
    )
  })

  it("a rejection fails the run naming the gate (exit 1); the trace is stored", () => {
    const { run, trace, traceDir } = gateRun(["--context", JSON.stringify({ hitl: { gate: "no" } })])
    expect(run.code).toBe(1)
    expect(trace!.status).toBe("failed")
    expect(trace!.nodes.find((n) => n.node_id === "gate")!.error).toMatch(/gate.*not approved/)
    expect(listFiles(traceDir)).toHaveLength(1)
  })

  it("--yes approves without asking", () => {
    const { run, trace } = gateRun(["--yes"])
    expect(run.code).toBe(0)
    expect(trace!.nodes.find((n) => n.node_id === "gate")!.outputs).toMatchObject({ approved: true })
  })

  it("with no answer and no terminal, the node's fallback applies and says how to answer", () => {
    const { run } = gateRun([])
    expect(run.code).toBe(1)
    expect(plain(run.stdout)).toMatch(/--context '\{"hitl"|--yes/)
  })

  it("a malformed hitl entry in --context is bad input", () => {
    const { run, traceDir } = gateRun(["--context", JSON.stringify({ hitl: [true] })])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`"hitl" must map hitl node ids to answers`)
    expect(listFiles(traceDir)).toEqual([])
  })

  it("asks a person on a terminal, and re-asks after an invalid answer", () => {
    const { home } = sandbox()
    // script(1) gives victor a pseudo-terminal; the typed answers come through it.
    const run = spawnSync("sh", ["-c", `printf 'maybe\\ny\\n' | timeout -k 5 40 script -qfec '"${process.execPath}" "${victorBin}" ` +
      `workflow trace "${example("release_gate.yaml")}"' /dev/null`], {
      cwd: repoRoot,
      env: { ...process.env, HOME: home, CI: "", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000
    })
    const output = plain(run.stdout)
    expect(output).toMatch(/\? Publish release/)
    expect(output).toMatch(/Status\s+✓ succeeded/)
    expect(run.status).toBe(0)
  })
})
