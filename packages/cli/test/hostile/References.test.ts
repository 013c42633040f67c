// Paths are paths, ids are ids (issue 12, item 7): `trace show | export | analyze | compare` read a file as a trace
// only when it is given as one (`--file PATH`, or a positional path with a separator or a `.json` name), never because
// a bare name happens to exist in the working directory; `trace rm` removes only stored traces. A file that is not a
// trace is one line naming the file and the reason, quoting none of its content. Driven through the real `victor`.
import { describe, expect, it } from "@effect/vitest"
import { copyFileSync, existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { plain, runVictor, sandbox, type VictorRun } from "../setup/runVictor.ts"

const canary = "SECRET-CANARY-123"

/** A sandbox with one stored trace, and the same trace exported to `trace.json`. */
const project = () => {
  const { home, traceDir } = sandbox()
  writeFileSync(join(home, "flow.yaml"), [
    "workflows:",
    "  flow:",
    "    nodes:",
    "      - id: only",
    "        type: transform",
    "        transform: x = 1"
  ].join("\n"))
  const dir = ["--trace-dir", traceDir]
  const victor = (...args: Array<string>) => runVictor([...args, ...dir], { home, cwd: home })
  const run = victor("workflow", "trace", "flow.yaml", "-o", "trace.json")
  expect(run.code, run.stderr).toBe(0)
  const traceId = (JSON.parse(readFileSync(join(home, "trace.json"), "utf8")) as { trace_id: string }).trace_id
  return { home, victor, traceId }
}

/** Refused as it should be: exit 2, one stderr line naming the file, nothing on stdout, no canary anywhere. */
const refused = (result: VictorRun, file: string, what: string) => {
  expect(result.code, what).toBe(2)
  expect(result.stdout, what).toBe("")
  const lines = result.stderr.trim().split("\n")
  expect(lines, what).toHaveLength(1)
  expect(lines[0], what).toContain(file)
  expect(result.stderr + result.stdout, what).not.toContain(canary)
  return lines[0]!
}

describe("trace references: a file is a trace only when given as one", () => {
  it("trace show /etc/passwd: one line naming the file, none of its content", () => {
    const { victor } = project()
    const result = victor("trace", "show", "/etc/passwd")
    const line = refused(result, "/etc/passwd", "/etc/passwd")
    expect(line).toBe(
      "victor: /etc/passwd: not JSON (line 1, column 1); a trace file is what victor workflow trace -o FILE.json writes"
    )
    for (const entry of readFileSync("/etc/passwd", "utf8").split("\n").filter((l) => l.length > 0)) {
      expect(result.stderr).not.toContain(entry.split(":")[0] + ":")
    }
  })

  it("a file holding a secret is never quoted: not JSON, JSON that does not decode, binary, too large", () => {
    const { home, victor } = project()
    const files: Record<string, string> = {
      "notes.txt": `remember ${canary} for later\n`,
      "late.json": `{\n  "trace_id": "t",\n  "workflow_name": ${canary}\n}\n`,
      "id.json": JSON.stringify({ trace_id: canary }),
      "typed.json": JSON.stringify({ trace_id: "t", workflow_name: "w", start_time: 1, status: canary }),
      "node.json": JSON.stringify({
        trace_id: "t",
        workflow_name: "w",
        start_time: 1,
        nodes: [{ node_id: "n", node_type: "compute", timestamp: 1, duration_seconds: canary, success: true }]
      }),
      "blob.bin": `\u0000\u0001${canary}\u0000`
    }
    for (const [name, content] of Object.entries(files)) writeFileSync(join(home, name), content)
    writeFileSync(join(home, "huge.json"), `{"trace_id": "${canary}"`)
    truncateSync(join(home, "huge.json"), 300 * 1024 * 1024)

    const reasons: Record<string, string> = {
      "notes.txt": "not JSON (line 1, column 1)",
      "late.json": "not JSON (line 3, column 20)",
      "id.json": "not a Victor trace: workflow_name: missing",
      "typed.json": "not a Victor trace: status: expected \"running\" | \"succeeded\"",
      "node.json": "not a Victor trace: nodes[0].duration_seconds: expected number",
      "blob.bin": "binary data, not a JSON trace file",
      "huge.json": "300 MiB, too large for a trace file (the limit is 256 MiB)"
    }
    for (const [name, reason] of Object.entries(reasons)) {
      const path = join(home, name)
      for (
        const args of [
          ["trace", "show", path],
          ["trace", "show", "--file", name],
          ["trace", "export", "--file", path],
          ["trace", "analyze", "--file", name],
          ["trace", "compare", path, "last"]
        ]
      ) {
        const line = refused(victor(...args), name, args.join(" "))
        expect(line, args.join(" ")).toContain(reason)
      }
    }
  })

  it("--file reads a trace file whatever its name; a positional path still does", () => {
    const { home, traceId, victor } = project()
    copyFileSync(join(home, "trace.json"), join(home, "saved-run"))
    for (
      const args of [
        ["trace", "show", "--file", "trace.json"],
        ["trace", "show", "--file", "saved-run"],
        ["trace", "show", "./saved-run"],
        ["trace", "show", "trace.json"],
        ["trace", "analyze", "--file", "saved-run"],
        ["trace", "export", "--file", "saved-run", "--format", "json"]
      ]
    ) {
      const result = victor(...args)
      expect(result.code, args.join(" ")).toBe(0)
      expect(result.stdout, args.join(" ")).toContain(traceId)
    }
    expect(victor("trace", "compare", "./saved-run", "last").code).toBe(0)

    // Both, or neither: one usage line.
    for (const args of [["trace", "show", "last", "--file", "trace.json"], ["trace", "show"]]) {
      const result = victor(...args)
      expect(result.code, args.join(" ")).toBe(2)
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1)
    }
  })

  it("a bare name that exists as a file in the working directory is not read: an id is never a path", () => {
    const { home, traceId, victor } = project()
    // A valid trace under a bare name that is no stored id: not read, only pointed at.
    const other = JSON.parse(readFileSync(join(home, "trace.json"), "utf8")) as Record<string, unknown>
    writeFileSync(join(home, "decoy"), JSON.stringify({ ...other, trace_id: "decoy-trace", workflow_name: canary }))
    const bare = victor("trace", "show", "decoy")
    expect(bare.code).toBe(2)
    expect(bare.stdout).toBe("")
    expect(bare.stderr.trim().split("\n")).toEqual([
      "victor: no stored trace 'decoy'; see victor trace list; to read the file decoy here as a trace, give ./decoy"
    ])
    expect(victor("trace", "analyze", "decoy").code).toBe(2)
    expect(victor("trace", "export", "decoy").stdout).not.toContain(canary)

    // A file named like a prefix of the stored id: the stored trace wins, the file is not opened.
    const prefix = traceId.slice(0, 8)
    writeFileSync(join(home, prefix), JSON.stringify({ ...other, trace_id: "decoy-trace", workflow_name: canary }))
    const shown = victor("trace", "show", prefix)
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain(traceId)
    expect(shown.stdout).not.toContain(canary)
  })

  it("trace rm removes only stored traces: a path is refused and the file left alone", () => {
    const { home, traceId, victor } = project()
    mkdirSync(join(home, "some"))
    const victim = join(home, "some", "file")
    writeFileSync(victim, "keep me")
    for (const reference of ["./some/file", victim, "trace.json", "some/file"]) {
      const result = victor("trace", "rm", reference)
      expect(result.code, reference).toBe(2)
      expect(result.stderr.trim().split("\n"), reference).toEqual([
        `victor: ${reference} is a file path, not a stored trace: give a trace id, a unique prefix of one, or last ` +
        "(see victor trace list)"
      ])
    }
    expect(readFileSync(victim, "utf8")).toBe("keep me")
    expect(existsSync(join(home, "trace.json"))).toBe(true)
    const list = JSON.parse(victor("trace", "list", "--json").stdout) as Array<{ trace_id: string }>
    expect(list.map((t) => t.trace_id)).toEqual([traceId])
    // A bare name is an id: removed only when it is one.
    expect(victor("trace", "rm", "flow.yaml").code).toBe(2)
    expect(existsSync(join(home, "flow.yaml"))).toBe(true)
    expect(victor("trace", "rm", traceId.slice(0, 8)).code).toBe(0)
  })

  it("--help of show, export and analyze mentions --file; rm says it takes stored traces only", () => {
    const { home } = sandbox()
    for (const command of ["show", "export", "analyze"]) {
      const help = plain(runVictor(["trace", command, "--help"], { home }).stdout)
      expect(help, command).toContain("--file")
      expect(help, command).toContain("Example: --file trace.json")
    }
    expect(plain(runVictor(["trace", "rm", "--help"], { home }).stdout)).toContain("never a file path")
  })
})
