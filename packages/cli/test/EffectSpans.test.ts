// Issue 14, item 5: a workflow whose custom tool (and handler) calls `Effect.withSpan` shows the nested span in the
// stored trace (a real file store, written and read back), the JSON, HTML and OTLP exports, and `trace show`.
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as EffectSpans from "@victor/core/EffectSpans"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as JsonExporter from "@victor/exporter-json/JsonExporter"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { decode } from "../../../plugins/exporter-otlp/test/otlpProto.ts"
import { runVictor, sandbox } from "./setup/runVictor.ts"

const source = [
  "nodes:",
  "  - id: fetch",
  "    type: compute",
  "    tools: [db]",
  "    inputs: { sql: select * from users }",
  "  - id: summarise",
  "    type: compute",
  "    handler: summarise",
  ""
].join("\n")

// A custom tool that talks to "a database" inside an Effect span with attributes, around a nested span.
const db: ToolRegistry.Tool = {
  name: "db",
  description: "queries the test database",
  run: (inputs) =>
    Effect.gen(function*() {
      yield* Effect.withSpan(Effect.void, "db.connect", { kind: "client" })
      yield* Effect.annotateCurrentSpan("db.rows", 2)
      return { rows: [{ id: 1 }, { id: 2 }] }
    }).pipe(
      Effect.withSpan("db.query", { attributes: { "db.system": "sqlite", "db.statement": String(inputs["sql"]) } })
    )
}

// A compute handler with a span of its own.
const spans = FunctionRegistry.plugin("spans", {
  handlers: {
    summarise: () => Effect.withSpan(Effect.succeed({ summary: "2 users" }), "summarise.rows")
  }
})

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => {
    const decoder = new TextDecoder()
    return Chunk.toReadonlyArray(chunks).map((chunk) => decoder.decode(chunk, { stream: true })).join("") +
      decoder.decode()
  })

const storeAt = (directory: string) => FileSystemTraceStore.layer({ directory })

// Runs the workflow with the file store in `directory`, then reads its trace back through a fresh store.
const runAndReload = (directory: string) =>
  Effect.gen(function*() {
    const workflow = yield* WorkflowLoader.parse(source, "spans.yaml")
    const result = yield* WorkflowExecutor.execute(workflow).pipe(
      Effect.provide(Layer.mergeAll(
        Layer.provide(WorkflowTracer.layer(), storeAt(directory)),
        ToolRegistry.layer({ tools: [db] }),
        FunctionRegistry.layer([spans]),
        EffectSpans.layer
      ))
    )
    const stored = yield* Effect.flatMap(TraceStore.TraceStore, (store) => store.get(result.trace.traceId)).pipe(
      Effect.provide(storeAt(directory))
    )
    return { ran: result.trace, stored }
  }).pipe(Effect.provide(NodeContext.layer))

const node = (trace: WorkflowTrace.WorkflowTrace, id: string) => trace.nodes.find((n) => n.nodeId === id)!

describe("Effect spans of a custom tool and a handler", () => {
  it.live("are nested under their tool call and node in the stored trace, as the run recorded them", () =>
    Effect.gen(function*() {
      const { ran, stored } = yield* runAndReload(mkdtempSync(join(tmpdir(), "victor-spans-")))
      expect(stored).toEqual(ran)
      expect(stored.schemaVersion).toBe(2)
      const call = node(stored, "fetch").toolCalls[0]!
      expect(call.toolName).toBe("db")
      expect(call.spans?.map((s) => s.name)).toEqual(["db.connect", "db.query"])
      const [connect, query] = call.spans!
      expect(query).toMatchObject({
        parentSpanId: null,
        success: true,
        attributes: { "db.system": "sqlite", "db.statement": "select * from users", "db.rows": 2 }
      })
      expect(connect).toMatchObject({ parentSpanId: query!.spanId, kind: "client" })
      expect(query!.timestamp).toBeGreaterThanOrEqual(call.timestamp)
      expect(query!.timestamp + query!.durationSeconds).toBeLessThanOrEqual(call.timestamp + call.durationSeconds + 1e-6)
      expect(node(stored, "fetch").spans).toBeUndefined()
      expect(node(stored, "summarise").spans?.map((s) => s.name)).toEqual(["summarise.rows"])
    }))

  it.live("show in the JSON, HTML and OTLP exports and in `trace show`", () =>
    Effect.gen(function*() {
      const { stored } = yield* runAndReload(mkdtempSync(join(tmpdir(), "victor-spans-")))

      const json = JSON.parse(yield* collect(JsonExporter.make().export(stored)))
      expect(json.schema_version).toBe(2)
      const fetch = json.nodes.find((n: { node_id: string }) => n.node_id === "fetch")
      expect(fetch.tool_calls[0].spans.map((s: { name: string }) => s.name)).toEqual(["db.connect", "db.query"])
      expect(fetch.tool_calls[0].spans[1]).toMatchObject({
        name: "db.query",
        parent_span_id: null,
        kind: "internal",
        success: true,
        error: null,
        attributes: { "db.system": "sqlite", "db.statement": "select * from users", "db.rows": 2 }
      })
      expect(fetch.tool_calls[0].spans[0].parent_span_id).toBe(fetch.tool_calls[0].spans[1].span_id)

      const html = yield* collect(HtmlExporter.make().export(stored))
      const details = /<script type="application\/json" id="victor-details-0">([\s\S]*?)<\/script>/.exec(html)![1]!
      const rows = JSON.parse(details) as Array<[unknown, unknown, Array<[unknown, unknown, Array<Array<unknown>>]>]>
      const fetchIndex = stored.nodes.findIndex((n) => n.nodeId === "fetch")
      // The tool call's spans, parents first: the query, then the connection it opened, one level down.
      expect(rows[fetchIndex]![2][0]![2].map((row) => [row[0], row[5]])).toEqual([["db.query", 0], ["db.connect", 1]])
      expect(rows[fetchIndex]![2][0]![2][0]![7]).toMatchObject({ "db.statement": "select * from users" })

      const { spans: otlp } = decode(OtlpExporter.encodeProtobuf(stored))
      const named = (name: string) => otlp.find((s) => s.name === name)!
      const tool = named("execute_tool db")
      const query = named("db.query")
      expect(query.parentSpanId).toBe(tool.spanId)
      expect(query.traceId).toBe(tool.traceId)
      expect(query.kind).toBe(1) // INTERNAL
      expect(query.attributes).toMatchObject({ "db.system": "sqlite", "db.statement": "select * from users", "db.rows": 2 })
      expect(query.spanId).toBe(fetch.tool_calls[0].spans[1].span_id)
      expect(named("db.connect")).toMatchObject({ parentSpanId: query.spanId, kind: 3 }) // CLIENT
      const summarise = otlp.find((s) => s.attributes["victor.node.id"] === "summarise")!
      expect(named("summarise.rows").parentSpanId).toBe(summarise.spanId)

      const { home } = sandbox()
      const file = join(home, "spans.json")
      writeFileSync(file, JSON.stringify(json))
      const shown = runVictor(["trace", "show", "--file", file], { home })
      expect(shown.stderr).toBe("")
      expect(shown.code).toBe(0)
      expect(shown.stdout).toContain("    span db.query (ok, ")
      expect(shown.stdout).toContain("      span db.connect (client, ok, ")
      expect(shown.stdout).toContain(`attributes: {"db.system":"sqlite","db.statement":"select * from users","db.rows":2}`)
      expect(shown.stdout).toContain("  span summarise.rows (ok, ")
    }), 120_000)
})
