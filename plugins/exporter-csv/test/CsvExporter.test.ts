import { describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as CsvExporter from "@victor/exporter-csv/CsvExporter"
import { parse } from "csv-parse/sync"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Chunk.toReadonlyArray(chunks))

const text = (chunks: ReadonlyArray<Uint8Array>): string => {
  const decoder = new TextDecoder()
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode()
}

const exportText = (trace: WorkflowTrace.WorkflowTrace, options?: CsvExporter.Options) =>
  Effect.map(collect(CsvExporter.make(options).export(trace)), text)

const base = sampleTrace().nodes[0]!
const nastyNodes: ReadonlyArray<WorkflowTrace.NodeTraceRecord> = [
  base,
  {
    ...base,
    nodeId: "comma, \"quote\"",
    nodeType: "agent",
    timestamp: 1_700_000_123.456789,
    durationSeconds: 0.000125,
    success: false,
    error: "line one\r\nline two, with \"quotes\"",
    toolCalls: []
  },
  {
    ...base,
    nodeId: "=HYPERLINK(\"http://evil\")",
    nodeType: "+cmd",
    error: "-2+3",
    success: false,
    toolCalls: [base.toolCalls[0]!, { ...base.toolCalls[0]!, toolName: "@SUM(A1)", success: false, error: "\tboom" }]
  },
  { ...base, nodeId: "unicode é😀 <img src=x>", nodeType: "\rtransform", error: null }
]

/** Undoes the spreadsheet-formula guard the way a reader would: a leading `'` before a formula character. */
const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell)

describe("CsvExporter", () => {
  it("describes itself as the csv format", () => {
    expect(CsvExporter.make()).toMatchObject({ name: "csv", fileExtension: "csv" })
    expect(CsvExporter.make().mediaType).toMatch(/^text\/csv/)
  })

  it.effect("writes the guide's columns in order and reads back through csv-parse to the same values", () =>
    Effect.gen(function*() {
      const trace = sampleTrace({ nodes: nastyNodes })
      const output = yield* exportText(trace)
      const rows: Array<Array<string>> = parse(output, { relax_column_count: false })
      expect(rows[0]).toEqual([
        "node_id",
        "node_type",
        "timestamp",
        "duration_seconds",
        "success",
        "error",
        "tool_calls_count"
      ])
      expect(rows).toHaveLength(trace.nodes.length + 1)
      trace.nodes.forEach((node, i) => {
        const [id, type, timestamp, duration, success, error, count] = rows[i + 1]!.map(unguard)
        expect(id).toBe(node.nodeId)
        expect(type).toBe(node.nodeType)
        expect(Date.parse(timestamp!) / 1000).toBeCloseTo(node.timestamp, 2)
        expect(Number(timestamp!.slice(-7, -1)) / 1e6).toBeCloseTo(node.timestamp % 1, 6)
        expect(Number(duration)).toBe(node.durationSeconds)
        expect(success).toBe(String(node.success))
        expect(error).toBe(node.error ?? "")
        expect(Number(count)).toBe(node.toolCalls.length)
      })
    }))

  it.effect("writes RFC 4180: CRLF record ends, quoted fields with doubled quotes", () =>
    Effect.gen(function*() {
      const output = yield* exportText(sampleTrace({ nodes: nastyNodes.slice(0, 2) }))
      expect(output.endsWith("\r\n")).toBe(true)
      expect(output.split("\r\n")[0]).toBe(
        "node_id,node_type,timestamp,duration_seconds,success,error,tool_calls_count"
      )
      expect(output).toContain(`"comma, ""quote"""`)
      expect(output).toContain(`"line one\r\nline two, with ""quotes"""`)
    }))

  it.effect("writes ISO 8601 UTC timestamps with microseconds", () =>
    Effect.gen(function*() {
      const rows: Array<Array<string>> = parse(yield* exportText(sampleTrace({ nodes: nastyNodes.slice(0, 2) })))
      expect(rows[1]![2]).toBe("2023-11-14T22:13:20.100000Z")
      expect(rows[2]![2]).toBe("2023-11-14T22:15:23.456789Z")
      expect(CsvExporter.isoTimestamp(Number.NaN)).toBe("")
    }))

  it.effect("neutralises every cell a spreadsheet would run as a formula, and only text cells", () =>
    Effect.gen(function*() {
      const rows: Array<Array<string>> = parse(yield* exportText(sampleTrace({ nodes: nastyNodes })))
      expect(rows[3]![0]).toBe(`'=HYPERLINK("http://evil")`)
      expect(rows[3]![1]).toBe("'+cmd")
      expect(rows[3]![5]).toBe("'-2+3")
      expect(rows[4]![1]).toBe("'\rtransform")
      for (const row of rows) {
        for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
      }
      const negative: Array<Array<string>> = parse(
        yield* exportText(sampleTrace({ nodes: [{ ...base, durationSeconds: -1.5 }] }))
      )
      expect(negative[1]![3]).toBe("-1.5")
    }))

  it.effect("--csv-rows tools: one row per tool call with its node", () =>
    Effect.gen(function*() {
      const trace = sampleTrace({ nodes: nastyNodes })
      const rows: Array<Array<string>> = parse(yield* exportText(trace, { rows: "tools" }))
      expect(rows[0]).toEqual([...CsvExporter.TOOL_COLUMNS])
      const calls = trace.nodes.flatMap((node) => node.toolCalls.map((call, index) => ({ node, call, index })))
      expect(rows).toHaveLength(calls.length + 1)
      calls.forEach(({ call, index, node }, i) => {
        const [id, type, position, tool, timestamp, duration, success, error] = rows[i + 1]!.map(unguard)
        expect([id, type, Number(position), tool]).toEqual([node.nodeId, node.nodeType, index, call.toolName])
        expect(Date.parse(timestamp!) / 1000).toBeCloseTo(call.timestamp, 2)
        expect([Number(duration), success, error]).toEqual([call.durationSeconds, String(call.success), call.error ?? ""])
      })
    }))

  it.effect("streams a 100,000-node trace in batches and computes nothing until pulled", () =>
    Effect.gen(function*() {
      let reads = 0
      const nodes = Array.from({ length: 100_000 }, (_, i) => ({ ...base, nodeId: `node_${i}` }))
      const trace = { ...sampleTrace(), get nodes() {
        reads += 1
        return nodes
      } } as WorkflowTrace.WorkflowTrace
      const stream = CsvExporter.make().export(trace)
      expect(reads).toBe(0)
      const chunks = yield* collect(stream)
      expect(chunks.length).toBeGreaterThanOrEqual(50)
      const rows: Array<Array<string>> = parse(text(chunks))
      expect(rows).toHaveLength(100_001)
      expect(rows[100_000]![0]).toBe("node_99999")
    }), 60_000)

  describe("hostile values", () => {
    const link = `=HYPERLINK("http://x","y")`
    // Each value, and whether a spreadsheet could run it as a formula (so the exporter must prefix it with `'`).
    const hostile: ReadonlyArray<readonly [value: string, formula: boolean]> = [
      ["a\rb", false],
      ["a\nb", false],
      ["a\r\nb", false],
      [`say "hi"`, false],
      ["a,b", false],
      [`,"\r\n`, false],
      // The reported defect: a bare line break before a formula must not start a new row.
      [`x\n${link}`, false],
      [`x\r${link}`, false],
      [`stderr: boom\r\n+1\r\n-1\n@SUM(1)`, false],
      [link, true],
      ["+1", true],
      ["-1", true],
      ["@SUM(1)", true],
      ["\tx", true],
      ["\rx", true],
      ["\nx", true],
      [`\n${link}`, true],
      [`\r\n${link}`, true],
      [`  ${link}`, true],
      ["\t+1", true],
      ["\u00a0@SUM(1)", true],
      ["\u200b-1", true],
      ["\u202e=1+1", true],
      ["\uff1d1+1", true],
      ["\r", true],
      ["\n", true],
      ["\r\n", true]
    ]
    const hostileNodes: ReadonlyArray<WorkflowTrace.NodeTraceRecord> = hostile.map(([value], i) => ({
      ...base,
      nodeId: value,
      nodeType: value,
      success: false,
      error: value,
      inputs: { marker: `INPUT-${i}`, value },
      outputs: { marker: `OUTPUT-${i}`, value },
      toolCalls: [{
        ...base.toolCalls[0]!,
        toolName: value,
        success: false,
        error: `${value}`,
        inputs: { value },
        outputs: { stderr: value }
      }, { ...base.toolCalls[0]!, toolName: "shell", error: value }]
    }))
    const trace = sampleTrace({ nodes: hostileNodes })
    const expected = (value: string, formula: boolean) => (formula ? `'${value}` : value)
    // Read the way a spreadsheet does: any line break outside quotes ends a row.
    const readLikeASpreadsheet = (output: string): Array<Array<string>> =>
      parse(output, { record_delimiter: ["\r\n", "\n", "\r"], relax_column_count: false })
    // A cell a spreadsheet would evaluate: a trigger first, or `= + - @` (also full-width) after leading whitespace,
    // line breaks or invisible characters.
    const runsAsFormula = (cell: string) =>
      /^[\t\r\n]/.test(cell) || /^[\s\p{Cc}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/u.test(cell)

    it.effect("--csv-rows nodes: exactly one row per node, every value back, every formula prefixed", () =>
      Effect.gen(function*() {
        const output = yield* exportText(trace)
        const rows = readLikeASpreadsheet(output)
        expect(rows).toHaveLength(hostile.length + 1)
        for (const row of rows) expect(row).toHaveLength(CsvExporter.NODE_COLUMNS.length)
        hostile.forEach(([value, formula], i) => {
          const [id, type, , duration, success, error, count] = rows[i + 1]!
          expect([id, type, error]).toEqual([expected(value, formula), expected(value, formula), expected(value, formula)])
          expect([duration, success, count]).toEqual(["1.25", "false", "2"])
        })
        for (const row of rows) for (const cell of row) expect(runsAsFormula(cell), JSON.stringify(cell)).toBe(false)
        expect(output).not.toMatch(/INPUT-|OUTPUT-/)
      }))

    it.effect("--csv-rows tools: exactly one row per tool call, every value back, every formula prefixed", () =>
      Effect.gen(function*() {
        const rows = readLikeASpreadsheet(yield* exportText(trace, { rows: "tools" }))
        expect(rows).toHaveLength(hostile.length * 2 + 1)
        for (const row of rows) expect(row).toHaveLength(CsvExporter.TOOL_COLUMNS.length)
        hostile.forEach(([value, formula], i) => {
          const cell = expected(value, formula)
          const [first, second] = [rows[2 * i + 1]!, rows[2 * i + 2]!]
          expect([first[0], first[1], first[2], first[3], first[6], first[7]]).toEqual([cell, cell, "0", cell, "false", cell])
          expect([second[0], second[1], second[2], second[3], second[6], second[7]]).toEqual([cell, cell, "1", "shell", "true", cell])
        })
        for (const row of rows) for (const cell of row) expect(runsAsFormula(cell), JSON.stringify(cell)).toBe(false)
      }))

    it.effect("quotes every field holding a CR, an LF, a quote or a comma, with quotes doubled", () =>
      Effect.gen(function*() {
        const ids = ["a\rb", "a\nb", "a\r\nb", `a"b`, "a,b", "ab"]
        const output = yield* exportText(sampleTrace({ nodes: ids.map((nodeId) => ({ ...base, nodeId, toolCalls: [] })) }))
        const written = [`"a\rb"`, `"a\nb"`, `"a\r\nb"`, `"a""b"`, `"a,b"`, "ab"]
        expect(output).toBe(
          [CsvExporter.NODE_COLUMNS.join(","), ...written.map((id) => `${id},compute,2023-11-14T22:13:20.100000Z,1.25,true,,0`)]
            .join("\r\n") + "\r\n"
        )
      }))

    it.effect("writes numbers as numbers, and a number that is not finite as an empty cell", () =>
      Effect.gen(function*() {
        const rows = readLikeASpreadsheet(
          yield* exportText(sampleTrace({ nodes: [{ ...base, durationSeconds: -1 }, { ...base, durationSeconds: Number.NaN }] }))
        )
        expect([rows[1]![3], rows[2]![3]]).toEqual(["-1", ""])
      }))
  })

  it.effect("an empty trace is just the header", () =>
    Effect.gen(function*() {
      expect(yield* exportText(sampleTrace({ nodes: [] }))).toBe(`${CsvExporter.NODE_COLUMNS.join(",")}\r\n`)
    }))
})
