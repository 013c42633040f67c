// SIGINT, SIGTERM and SIGHUP end a run as `cancelled`: the trace is stored, the `-o` export is written, the running
// tool's whole process tree ends (a grandchild started in the background too), and victor exits with 128 + the
// signal's number. A second Ctrl-C while the cancelled trace is being stored changes nothing.
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { listFiles, sandbox, victorBin } from "./setup/runVictor.ts"
import { isDead, sleep, waitFor } from "./setup/processes.ts"

const exitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const

/** A workflow whose second node's command starts a grandchild in the background, records its pid and waits. */
const writeWorkflow = (dir: string): string => {
  const file = join(dir, "signal.yaml")
  writeFileSync(file, [
    "workflows:",
    "  signal:",
    "    nodes:",
    "      - id: quick",
    "        type: compute",
    "        tools: [shell]",
    "        inputs: { command: \"echo fast\" }",
    "      - id: spawn",
    "        type: compute",
    "        tools: [shell]",
    "        inputs: { command: \"sh -c 'sleep 30 & echo $! > child.pid; wait'\" }"
  ].join("\n"))
  return file
}


/** Runs the workflow with `-o out.json`, sends `signals` (ms apart) about 1 s in, once the grandchild runs. */
const runAndSignal = async (signals: ReadonlyArray<NodeJS.Signals>, apartMs = 50) => {
  const { home, traceDir } = sandbox()
  const file = writeWorkflow(home)
  const child = spawn(process.execPath, [victorBin, "workflow", "trace", file, "-o", "out.json"], {
    cwd: home,
    env: { ...process.env, HOME: home, NO_COLOR: "1" }
  })
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  child.stdout.resume()
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("close", (code, signal) => resolve([code, signal]))
  )
  const started = Date.now()
  const pidFile = join(home, "child.pid")
  const running = await waitFor(
    () => child.exitCode !== null || existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "",
    30_000
  )
  expect(running && child.exitCode === null, `victor ended early or never started the command: ${stderr}`).toBe(true)
  await sleep(Math.max(0, 1000 - (Date.now() - started)))
  const grandchild = Number(readFileSync(pidFile, "utf8").trim())
  for (const [i, signal] of signals.entries()) {
    if (i > 0) await sleep(apartMs)
    child.kill(signal)
  }
  const [code, signal] = await closed
  return { home, traceDir, grandchild, code, signal, stderr, elapsed: Date.now() - started }
}

const expectCancelled = (run: Awaited<ReturnType<typeof runAndSignal>>) => {
  const stored = listFiles(run.traceDir).filter((name) => name.endsWith(".json"))
  expect(stored, run.stderr).toHaveLength(1)
  const trace = JSON.parse(readFileSync(join(run.traceDir, stored[0]!), "utf8")) as {
    status: string
    nodes: Array<{ node_id: string; success: boolean; error: string | null }>
  }
  expect(trace.status).toBe("cancelled")
  expect(trace.nodes.map((n) => [n.node_id, n.success, n.error])).toEqual([
    ["quick", true, null],
    ["spawn", false, "cancelled"]
  ])
  // The export asked for with -o is written too, and says the same.
  const exported = JSON.parse(readFileSync(join(run.home, "out.json"), "utf8")) as { status: string; trace_id: string }
  expect(exported.status).toBe("cancelled")
  expect(stored[0]).toContain(exported.trace_id)
  expect(run.stderr).toContain(`victor: cancelled; the trace was stored with status "cancelled" in ${run.traceDir}`)
  expect(run.stderr).not.toMatch(/\n\s+at /)
  expect(run.stderr).not.toContain("internal error")
}

describe("signals end a run as cancelled", () => {
  for (const name of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${name}: trace stored and exported as cancelled, the tool's grandchild ended, exit ${exitCodes[name]}`, async () => {
      const run = await runAndSignal([name])
      expect(run.elapsed).toBeLessThan(25_000)
      expect([run.code, run.signal]).toEqual([exitCodes[name], null])
      expectCancelled(run)
      expect(await waitFor(() => isDead(run.grandchild), 5_000), `grandchild ${run.grandchild} still runs`).toBe(true)
    })
  }

  it("a second SIGINT 50 ms after the first does not cut the save short: still cancelled, exit 130", async () => {
    const run = await runAndSignal(["SIGINT", "SIGINT"], 50)
    expect([run.code, run.signal]).toEqual([130, null])
    expectCancelled(run)
    // Nothing is left for the next command to recover as incomplete.
    expect(listFiles(run.traceDir).filter((name) => name.endsWith(".jsonl"))).toEqual([])
    expect(await waitFor(() => isDead(run.grandchild), 5_000)).toBe(true)
  })
})
