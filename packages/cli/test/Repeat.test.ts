// `workflow run` / `workflow trace --repeat N`: N runs one after the other in one process, each its own stored trace,
// one line each and a summary of them all; the exit code of the worst run; a bad N or `-o` with N > 1 refused before
// anything runs; Ctrl-C ends the run it interrupts as cancelled and starts no more.
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { listFiles, plain, runVictor, sandbox, victorBin } from "./setup/runVictor.ts"

/** A workflow whose `step` fails on every third run (the 2nd, 5th, ...), counting its runs in `count`. */
const flakyWorkflow = (dir: string): string => {
  const file = join(dir, "flaky.yaml")
  writeFileSync(file, [
    "workflows:",
    "  flaky:",
    "    nodes:",
    "      - id: step",
    "        type: compute",
    "        tools: [shell]",
    "        inputs: { command: \"n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; test $((n % 3)) -ne 2\" }",
    "      - id: after",
    "        type: transform",
    "        transform: x = 1"
  ].join("\n"))
  return file
}

interface Listed {
  readonly trace_id: string
  readonly status: string
}

const stored = (home: string, traceDir: string): Array<Listed> => {
  const list = runVictor(["trace", "list", "--json", "--store", traceDir], { home })
  expect(list.code, list.stderr).toBe(0)
  return JSON.parse(list.stdout) as Array<Listed>
}

const runLine = /^run (\d+)\/(\d+): ([0-9a-f-]{36}) (succeeded|failed|cancelled) in \S+(: .*)?$/

describe("--repeat", () => {
  it("runs N times, a line per run and a summary; every run stored; exit 1 when any failed", () => {
    const { home, traceDir } = sandbox()
    const file = flakyWorkflow(home)
    const run = runVictor(["workflow", "run", file, "--repeat", "5"], { home, cwd: home })
    expect(run.code).toBe(1)
    expect(run.stderr).toBe("")
    const lines = plain(run.stdout).split("\n")
    const runs = lines.slice(0, 5).map((line) => runLine.exec(line))
    expect(runs.map((m) => m === null ? null : [m[1], m[2], m[4]])).toEqual([
      ["1", "5", "succeeded"],
      ["2", "5", "failed"],
      ["3", "5", "succeeded"],
      ["4", "5", "succeeded"],
      ["5", "5", "failed"]
    ])
    // A failed run says where it failed, so a flaky failure shows without opening its trace.
    expect(lines[1]).toMatch(/failed in \S+: step: shell: command exited with code 1$/)
    const ids = runs.map((m) => m![3]!)
    expect(lines[8]).toMatch(/^Durations {2}min \S+, median \S+, max \S+$/)
    expect(lines.slice(5, 8).concat(lines.slice(9))).toEqual([
      "",
      "Workflow   flaky",
      "Runs       5: 3 succeeded, 2 failed",
      `Stored in  ${traceDir}`,
      "",
      "Runs that did not succeed:",
      `  run 2  failed      ${ids[1]}`,
      `  run 5  failed      ${ids[4]}`,
      ""
    ])
    const traces = stored(home, traceDir)
    expect(traces.map((t) => t.trace_id).sort()).toEqual([...ids].sort())
    expect(Object.fromEntries(traces.map((t) => [t.trace_id, t.status]))).toEqual(
      Object.fromEntries(runs.map((m) => [m![3], m![4]]))
    )
  })

  it("workflow trace --repeat exits 0 when every run succeeded; --repeat 1 is the single run's summary", () => {
    const { home, traceDir } = sandbox()
    const file = join(home, "ok.yaml")
    writeFileSync(file, "workflows:\n  ok:\n    nodes:\n      - id: a\n        type: transform\n        transform: x = 1\n")
    const three = runVictor(["workflow", "trace", file, "--repeat", "3"], { home })
    expect(three.code, three.stderr).toBe(0)
    expect(plain(three.stdout)).toMatch(/^run 1\/3: .*\nrun 2\/3: .*\nrun 3\/3: .*\n\nWorkflow {3}ok\nRuns {7}3: 3 succeeded\n/)
    const one = runVictor(["workflow", "trace", file, "--repeat", "1", "-o", join(home, "t.json")], { home })
    expect(one.code, one.stderr).toBe(0)
    expect(plain(one.stdout)).toMatch(/^Workflow {4}ok\nStatus {6}✓ succeeded\n/)
    expect(plain(one.stdout)).not.toContain("run 1/1")
    expect(existsSync(join(home, "t.json"))).toBe(true)
    expect(stored(home, traceDir)).toHaveLength(4)
  })

  it("refuses a bad N and -o with N > 1 in one line, exit 2, before anything runs", () => {
    const { home, traceDir } = sandbox()
    const file = flakyWorkflow(home)
    const cases: Array<[ReadonlyArray<string>, string]> = [
      [["--repeat", "0"], "victor: --repeat must be at least 1, not 0; e.g. --repeat 50"],
      [["--repeat", "-2"], "victor: --repeat must be at least 1, not -2; e.g. --repeat 50"],
      [["--repeat", "two"], "victor: --repeat needs a whole number, not 'two'; e.g. --repeat 50"],
      [["--repeat", "2.5"], "victor: --repeat needs a whole number, not '2.5'; e.g. --repeat 50"],
      [
        ["--repeat", "3", "-o", "t.json"],
        "victor: -o writes one trace and --repeat 3 makes 3: every run is stored, so list them with victor trace " +
          "list and export one with victor trace export <trace id>"
      ]
    ]
    for (const [args, message] of cases) {
      const run = runVictor(["workflow", "trace", file, ...args], { home, cwd: home })
      expect(run.code, run.stderr).toBe(2)
      expect(run.stderr).toBe(`${message}\n`)
      expect(run.stdout).toBe("")
    }
    expect(listFiles(traceDir)).toEqual([])
    expect(existsSync(join(home, "count"))).toBe(false)
  })

  it("--help explains it on workflow run and workflow trace", () => {
    const { home } = sandbox()
    for (const command of ["run", "trace"]) {
      const help = plain(runVictor(["workflow", command, "--help"], { home }).stdout)
      const entry = help.slice(help.indexOf("\n  --repeat <n>\n") + 1).split("\n").slice(0, 2).join("\n")
      expect(entry).toMatch(/^ {2}--repeat <n>\n {6}Run the workflow N times \(default 1\)/)
      expect(entry).toContain("load test")
      expect(entry).toContain("flaky run")
      expect(entry).toContain("Example: --repeat 50")
      if (command === "trace") expect(entry).toContain("Not with -o")
      else expect(entry).not.toContain("-o")
    }
  })

  it("Ctrl-C during a run stores it as cancelled, starts no more, summarises and exits 130", async () => {
    const { home, traceDir } = sandbox()
    // The first run is quick; from the second on, the command waits.
    const file = join(home, "stall.yaml")
    writeFileSync(file, [
      "workflows:",
      "  stall:",
      "    nodes:",
      "      - id: step",
      "        type: compute",
      "        tools: [shell]",
      "        inputs: { command: \"n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -eq 0 ] || sleep 30\" }"
    ].join("\n"))
    const child = spawn(process.execPath, [victorBin, "workflow", "run", file, "--repeat", "5"], {
      cwd: home,
      env: { ...process.env, HOME: home, NO_COLOR: "1" }
    })
    let stdout = ""
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
    // Once the second run's command is running (it has counted itself), interrupt.
    const deadline = Date.now() + 30_000
    while (!(existsSync(join(home, "count")) && readFileSync(join(home, "count"), "utf8").trim() === "2")) {
      expect(Date.now() < deadline && child.exitCode === null, `never reached run 2: ${stderr}`).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    child.kill("SIGINT")
    expect(await closed).toBe(130)
    const lines = stdout.split("\n")
    expect(lines[0]).toMatch(/^run 1\/5: \S+ succeeded in /)
    expect(lines[1]).toMatch(/^run 2\/5: \S+ cancelled in \S+: step: cancelled$/)
    expect(stdout).toMatch(/\nRuns {7}2 of 5: 1 succeeded, 1 cancelled\n/)
    expect(stderr).toBe(`victor: cancelled; the trace was stored with status "cancelled" in ${traceDir}\n`)
    expect(stored(home, traceDir).map((t) => t.status).sort()).toEqual(["cancelled", "succeeded"])
    expect(readFileSync(join(home, "count"), "utf8").trim()).toBe("2")
  })
})
