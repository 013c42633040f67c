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

  it.effect("an empty trace is just the header", () =>
    Effect.gen(function*() {
      expect(yield* exportText(sampleTrace({ nodes: [] }))).toBe(`${CsvExporter.NODE_COLUMNS.join(",")}\r\n`)
    }))
})
