// stdout is for what was asked: with a corrupt trace file, an empty journal and stray temp files in the store, every
// `--json` command prints JSON that parses, and the store's warnings go to stderr, once; `trace prune` then leaves
// only valid traces and caches. A corrupt stored trace is named with its file and the reason; a run into a directory
// the store refuses stops before anything runs.
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { plain, quickWorkflow, runVictor, sandbox, type VictorRun } from "./setup/runVictor.ts"

const isRoot = typeof process.getuid === "function" && process.getuid() === 0
const stranger = 12345

const hoursAgo = (file: string, hours: number) => {
  const then = new Date(Date.now() - hours * 3_600_000)
  utimesSync(file, then, then)
}

// The store names its temp files `.{name}.{12 hex}.{pid}-{host tag}.tmp` (the tag: FNV-1a of the host name).
const hostTag = (host: string) => {
  let hash = 0x811c9dc5
  for (let i = 0; i < host.length; i++) hash = Math.imul(hash ^ host.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(16).padStart(8, "0")
}

/** A pid no process of this host has (a child that has exited). */
const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid!

/** Strays a crashed run and a stray hand leave: a corrupt trace file, an empty journal, two orphaned temp files. */
const plantStrays = (traceDir: string, tag: string) => {
  const files = {
    corrupt: join(traceDir, `quick_${tag}0bad.json`),
    journal: join(traceDir, `quick_${tag}0crashed.jsonl`),
    oldTemp: join(traceDir, `.quick_${tag}0old.json.0123456789ab.tmp`),
    deadTemp: join(traceDir, `.quick_${tag}0dead.json.0123456789ab.${deadPid()}-${hostTag(hostname())}.tmp`)
  }
  writeFileSync(files.corrupt, "{\"trace_id\": \"x\", \"nodes\": [")
  writeFileSync(files.journal, "")
  writeFileSync(files.oldTemp, "{\"trace_id\":")
  writeFileSync(files.deadTemp, "{\"trace_id\":")
  hoursAgo(files.journal, 1)
  hoursAgo(files.oldTemp, 1)
  return Object.values(files)
}

/** stdout is the JSON and nothing else; stderr holds warning lines only. */
const expectJson = (run: VictorRun, what: string): unknown => {
  expect(run.code, `${what}: ${run.stderr}`).toBe(0)
  for (const line of run.stderr.split("\n").filter((l) => l.length > 0)) expect(line, what).toMatch(/^victor: warning: /)
  return JSON.parse(run.stdout)
}

describe("machine output and a store with strays", () => {
  it("every --json command parses with strays in the store; warnings on stderr, once; prune leaves it clean", () => {
    const { home, traceDir } = sandbox()
    const file = quickWorkflow(home, "quick", "echo hi")
    for (let i = 0; i < 2; i++) expect(runVictor(["workflow", "run", file], { home }).code).toBe(0)
    const ids = (JSON.parse(runVictor(["trace", "list", "--json"], { home }).stdout) as Array<{ trace_id: string }>)
      .map((t) => t.trace_id)
    expect(ids).toHaveLength(2)

    const commands: Record<string, ReadonlyArray<string>> = {
      list: ["trace", "list", "--json"],
      stats: ["trace", "stats", "--json"],
      analyze: ["trace", "analyze", "last", "--json"],
      compare: ["trace", "compare", ids[1]!, ids[0]!, "--json"]
    }
    let planted = 0
    for (const [name, args] of Object.entries(commands)) {
      const strays = plantStrays(traceDir, name.slice(0, 3))
      planted += strays.length
      const first = runVictor(args, { home })
      expectJson(first, name)
      // One warning per stray, naming it, on stderr only.
      const warnings = first.stderr.trim().split("\n")
      expect(warnings, name).toHaveLength(strays.length)
      for (const stray of strays) expect(warnings.filter((w) => w.includes(stray)), `${name}: ${stray}`).toHaveLength(1)
      for (const stray of strays) expect(existsSync(stray), stray).toBe(false)
      // Warned about once: the next command says nothing.
      const again = runVictor(args, { home })
      expectJson(again, `${name} again`)
      expect(again.stderr, `${name} again`).toBe("")
    }
    // A run's events: stdout holds only the event lines.
    const events = runVictor(["workflow", "trace", file, "--events", "ndjson"], { home })
    expect(events.code).toBe(0)
    for (const line of events.stdout.trim().split("\n")) expect(() => JSON.parse(line), line).not.toThrow()

    const dry = runVictor(["trace", "prune", "--dry-run"], { home })
    expect(dry.code, dry.stderr).toBe(0)
    const listed = plain(dry.stdout).split("\n").filter((l) => l.startsWith("Would remove /"))
    expect(listed).toHaveLength(planted)
    // Each with the reason it is stray.
    const reasons = (name: string) => listed.filter((l) => l.includes(name)).map((l) => l.replace(/^.*\): it /, ""))
    for (const reason of reasons("0bad.json (")) expect(reason).toMatch(/^is not valid JSON: it ends too early/)
    for (const reason of reasons("0crashed.jsonl (")) expect(reason).toMatch(/^is an empty journal/)
    for (const reason of reasons("0dead.json.")) expect(reason).toMatch(/^is an unfinished write of .*, is gone\)/)
    for (const reason of reasons("0old.json.")) expect(reason).toMatch(/^is an unfinished write of .*untouched for/)
    expect(["0bad.json (", "0crashed.jsonl (", "0dead.json.", "0old.json."].map((n) => reasons(n).length)).toEqual([4, 4, 4, 4])
    expect(plain(dry.stdout)).toContain(`Would remove 0 traces and 0 unreferenced blobs, and ${planted} stray files`)
    expect(readdirSync(join(traceDir, "quarantine")).filter((n) => !n.endsWith(".reason"))).toHaveLength(planted)

    const prune = runVictor(["trace", "prune"], { home })
    expect(prune.code, prune.stderr).toBe(0)
    expect(prune.stderr).toBe("")
    expect(plain(prune.stdout)).toContain(`and ${planted} stray files`)
    const left = readdirSync(traceDir).filter((n) => !/^quick_[0-9a-f-]{36}\.json$/.test(n))
    expect(left.filter((n) => ![".index.jsonl", ".facts.jsonl", "blobs"].includes(n))).toEqual([])
    expect(JSON.parse(runVictor(["trace", "list", "--json"], { home }).stdout)).toHaveLength(3)
  }, 120_000)

  it("show, export and analyze of a corrupt stored trace name the file and the reason: one line, exit 2", () => {
    const { home, traceDir } = sandbox()
    expect(runVictor(["workflow", "run", quickWorkflow(home, "quick", "echo hi")], { home }).code).toBe(0)
    writeFileSync(join(traceDir, "quick_badc0de.json"), "{\"trace_id\": \"badc0de\", \"nodes\": [}")
    writeFileSync(join(traceDir, "quick_f00d.json"), JSON.stringify({ trace_id: "f00d", workflow_name: 3 }))
    const moved = (name: string) => join(traceDir, "quarantine", name)
    for (const args of [["trace", "show"], ["trace", "export"], ["trace", "analyze"]]) {
      const bad = runVictor([...args, "badc0de"], { home })
      expect(bad.code, args.join(" ")).toBe(2)
      expect(bad.stdout).toBe("")
      const errors = bad.stderr.split("\n").filter((l) => l.startsWith("victor: ") && !l.startsWith("victor: warning:"))
      expect(errors, args.join(" ")).toEqual([
        `victor: trace file ${moved("quick_badc0de.json")} is not valid JSON: unexpected "}" at line 1, column 35 ` +
        "(set aside in the quarantine; prune removes it)"
      ])
      const undecodable = runVictor([...args, "f00d"], { home })
      expect(undecodable.code).toBe(2)
      expect(undecodable.stderr).toContain(`victor: trace file ${moved("quick_f00d.json")} is not a valid trace: `)
      expect(undecodable.stderr).toContain("workflow_name")
    }
  }, 120_000)

  it.runIf(isRoot)("a run into a trace directory of another user stops before anything runs: exit 2, one line", () => {
    const { home } = sandbox()
    const foreign = join(home, "foreign")
    mkdirSync(foreign)
    chmodSync(foreign, 0o777)
    chownSync(foreign, stranger, stranger)
    const canary = join(home, "canary")
    const file = quickWorkflow(home, "touchy", `touch ${canary}`)
    const exportTo = ["-o", join(home, "out.json")]
    for (const command of ["trace", "run"]) {
      const run = runVictor(
        ["workflow", command, file, "--trace-dir", foreign, ...(command === "trace" ? exportTo : [])],
        { home }
      )
      expect(run.code, command).toBe(2)
      expect(run.stdout, command).toBe("")
      expect(run.stderr.split("\n").filter((l) => l.length > 0), command).toEqual([
        `victor: trace directory ${foreign} belongs to another user (uid ${stranger}), not to you (uid 0): ` +
        `take it over (chown 0 '${foreign}' && chmod 700 '${foreign}') or use a directory of your own (--trace-dir DIR)`
      ])
      expect(existsSync(canary), command).toBe(false)
      expect(existsSync(join(home, "out.json")), command).toBe(false)
    }
    expect(readdirSync(foreign)).toEqual([])
  }, 60_000)
})
