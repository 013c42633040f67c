// `workflow trace -o`: the bundled csv and html exports, the format inferred from the extension, --csv-rows.
import { describe, expect, it } from "@effect/vitest"
import { parse } from "csv-parse/sync"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { plain, runVictor, sandbox } from "./setup/runVictor.ts"

const project = () => {
  const { home, traceDir } = sandbox()
  writeFileSync(
    join(home, "flow.yaml"),
    [
      "workflows:",
      "  flow:",
      "    nodes:",
      "      - id: greet",
      "        type: compute",
      "        tools: [shell]",
      "        inputs: { command: \"echo '=1+1 <b>'\" }",
      "      - id: count",
      "        type: compute",
      "        tools: [shell, ls]",
      "        inputs: { command: \"echo two\", path: \".\" }",
      "      - id: done",
      "        type: transform",
      "        transform: x = 1"
    ].join("\n")
  )
  const victor = (...args: Array<string>) =>
    runVictor(["workflow", "trace", "flow.yaml", "--trace-dir", traceDir, ...args], { home, cwd: home })
  const stored = () => {
    const file = readdirSync(traceDir).find((name) => name.endsWith(".json"))!
    return JSON.parse(readFileSync(join(traceDir, file), "utf8"))
  }
  return { home, victor, stored }
}

describe("workflow trace exports", () => {
  it("-o trace.csv writes the guide's CSV, one row per node, matching the stored trace", () => {
    const { home, stored, victor } = project()
    const run = victor("-o", "trace.csv")
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("trace.csv (csv,")
    const rows: Array<Record<string, string>> = parse(readFileSync(join(home, "trace.csv"), "utf8"), { columns: true })
    const trace = stored()
    expect(Object.keys(rows[0]!)).toEqual([
      "node_id",
      "node_type",
      "timestamp",
      "duration_seconds",
      "success",
      "error",
      "tool_calls_count"
    ])
    expect(rows.map((row) => row["node_id"])).toEqual(trace.nodes.map((node: { node_id: string }) => node.node_id))
    rows.forEach((row, i) => {
      const node = trace.nodes[i]
      expect(Date.parse(row["timestamp"]!) / 1000).toBeCloseTo(node.timestamp, 2)
      expect(Number(row["duration_seconds"])).toBe(node.duration_seconds)
      expect(row["success"]).toBe(String(node.success))
      expect(Number(row["tool_calls_count"])).toBe(node.tool_calls.length)
    })
  })

  it("--csv-rows tools writes one row per tool call; with another format it is a usage error", () => {
    const { home, stored, victor } = project()
    const run = victor("-o", "tools.csv", "--csv-rows", "tools")
    expect(run.code).toBe(0)
    const rows: Array<Record<string, string>> = parse(readFileSync(join(home, "tools.csv"), "utf8"), { columns: true })
    const calls = stored().nodes.flatMap((node: { node_id: string; tool_calls: Array<{ tool_name: string }> }) =>
      node.tool_calls.map((call) => [node.node_id, call.tool_name])
    )
    expect(calls.length).toBeGreaterThanOrEqual(2)
    expect(rows.map((row) => [row["node_id"], row["tool_name"]])).toEqual(calls)
    const wrong = victor("-o", "trace.json", "--csv-rows", "tools")
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain("--csv-rows applies to the csv format, not json")
  })

  it("-o report.html writes the HTML report; --format html overrides any extension", () => {
    const { home, victor } = project()
    expect(victor("-o", "report.html").code).toBe(0)
    const html = readFileSync(join(home, "report.html"), "utf8")
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true)
    expect(html).toContain("<title>flow — Victor trace report</title>")
    expect(html).not.toContain("<b>")
    expect(victor("--format", "HTML", "-o", "report.txt").code).toBe(0)
    expect(readFileSync(join(home, "report.txt"), "utf8").startsWith("<!DOCTYPE html>")).toBe(true)
  })

  it("an -o extension no exporter knows lists the known formats", () => {
    const { victor } = project()
    const run = victor("-o", "trace.xml")
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`known formats: json, csv, html`)
  })

  it("--help explains --format and --csv-rows", () => {
    const { home } = sandbox()
    const help = plain(runVictor(["workflow", "trace", "--help"], { home }).stdout)
    expect(help).toMatch(/--format[\s\S]*json, csv, html/)
    expect(help).toContain("--csv-rows")
  })
})
