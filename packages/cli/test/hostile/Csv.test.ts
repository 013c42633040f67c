// The CSV export of a workflow whose node ids and tool output carry line breaks and spreadsheet formulas, through the
// real CLI: read back the way a spreadsheet reads it, it has exactly one row per node (or tool call), and no cell
// starts a formula.
import { describe, expect, it } from "@effect/vitest"
import { parse } from "csv-parse/sync"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runVictor, sandbox } from "../setup/runVictor.ts"

const link = `=HYPERLINK("http://x","y")`

// Node ids as they are in the trace, and as the CSV cell must read (`'` before what a spreadsheet would run).
const nodes: ReadonlyArray<{ readonly yaml: string; readonly id: string; readonly cell: string }> = [
  { yaml: String.raw`plain\n=1+1`, id: "plain\n=1+1", cell: "plain\n=1+1" },
  { yaml: String.raw`cr\r@SUM(1)`, id: "cr\r@SUM(1)", cell: "cr\r@SUM(1)" },
  { yaml: String.raw`=HYPERLINK(\"http://x\",\"y\")\r\n+1`, id: `${link}\r\n+1`, cell: `'${link}\r\n+1` },
  { yaml: String.raw`\r\n-1`, id: "\r\n-1", cell: "'\r\n-1" },
  { yaml: String.raw`  +cmd`, id: "  +cmd", cell: "'  +cmd" },
  { yaml: String.raw`@SUM(1), \"quoted\"`, id: `@SUM(1), "quoted"`, cell: `'@SUM(1), "quoted"` }
]

// The last node fails: its tool's stderr (the error's first line) carries a formula and a quote.
const hostileWorkflow = (dir: string): string => {
  const file = join(dir, "hostile-csv.yaml")
  const lines = ["name: hostile_csv", "nodes:"]
  nodes.forEach((node, i) => {
    const last = i === nodes.length - 1
    const command = last
      ? String.raw`printf '=HYPERLINK("http://x","y"), +1\r\n-1\n' >&2; exit 3`
      : String.raw`printf '=HYPERLINK("http://x","y")\r\n+1\n@SUM(1)'; printf '\r-1' >&2`
    lines.push(
      `  - id: "${node.yaml}"`,
      "    type: compute",
      "    tools: [shell]",
      `    inputs: { command: "${command.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}" }`
    )
  })
  writeFileSync(file, lines.join("\n") + "\n")
  return file
}

// Read the way a spreadsheet does: any line break outside quotes ends a row.
const readLikeASpreadsheet = (file: string): Array<Array<string>> =>
  parse(readFileSync(file, "utf8"), { record_delimiter: ["\r\n", "\n", "\r"], relax_column_count: false })

// A cell a spreadsheet would evaluate: a trigger first, or `= + - @` after leading whitespace or invisible characters.
const runsAsFormula = (cell: string) =>
  /^[\t\r\n]/.test(cell) || /^[\s\p{Cc}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/u.test(cell)

describe("CSV export of hostile values (victor workflow trace --format csv)", () => {
  const { home } = sandbox()
  const workflow = hostileWorkflow(home)

  it("--csv-rows nodes: exactly one row per node, ids back as they were, formulas prefixed", () => {
    const out = join(home, "nodes.csv")
    const run = runVictor(["workflow", "trace", workflow, "-o", out, "--format", "csv"], { home })
    expect(run.code, run.stderr).toBe(1)
    const rows = readLikeASpreadsheet(out)
    expect(rows).toHaveLength(nodes.length + 1)
    for (const row of rows) expect(row).toHaveLength(7)
    expect(rows.slice(1).map((row) => row[0])).toEqual(nodes.map((node) => node.cell))
    expect(rows.slice(1).map((row) => row[4])).toEqual([...nodes.slice(0, -1).map(() => "true"), "false"])
    expect(rows.at(-1)![5]).toBe(`shell: command exited with code 3: ${link}, +1`)
    for (const row of rows) for (const cell of row) expect(runsAsFormula(cell), JSON.stringify(cell)).toBe(false)
  })

  it("--csv-rows tools: exactly one row per tool call, formulas prefixed", () => {
    const out = join(home, "tools.csv")
    const run = runVictor(["workflow", "trace", workflow, "-o", out, "--format", "csv", "--csv-rows", "tools"], { home })
    expect(run.code, run.stderr).toBe(1)
    const rows = readLikeASpreadsheet(out)
    expect(rows).toHaveLength(nodes.length + 1)
    for (const row of rows) expect(row).toHaveLength(8)
    expect(rows.slice(1).map((row) => [row[0], row[2], row[3]])).toEqual(nodes.map((node) => [node.cell, "0", "shell"]))
    expect(rows.at(-1)![7]).toBe(`command exited with code 3: ${link}, +1`)
    for (const row of rows) for (const cell of row) expect(runsAsFormula(cell), JSON.stringify(cell)).toBe(false)
  })
})
