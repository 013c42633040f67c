/**
 * Tool calls to MCP servers: the `tools/call` client span `@victor/mcp/McpServers` records under the call (shaped here
 * as a real run records it) is folded into the call's `execute_tool` span, as the OpenTelemetry MCP conventions ask
 * when a GenAI tool span already describes the call: its MCP attributes (method, JSON-RPC id, protocol version,
 * session, transport, server address) and the server's name (`victor.mcp.server`, which the conventions have no
 * attribute for) go on that span, its `error.type` (`tool_error`) types the failure, and no second span goes out.
 */
import { describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import type { SpanRecord, ToolCallRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import { decode, type DecodedSpan } from "./otlpProto.ts"

const t0 = 1_700_000_000

/** The span a stdio server's call records (attributes as in a trace from `victor workflow trace`). */
const stdioSpan = (overrides: Partial<SpanRecord> = {}): SpanRecord => ({
  spanId: "00000000000000a1",
  parentSpanId: null,
  name: "tools/call list_directory",
  kind: "client",
  timestamp: t0 + 0.21,
  durationSeconds: 0.4,
  success: true,
  error: null,
  attributes: {
    "mcp.method.name": "tools/call",
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "list_directory",
    "victor.mcp.server": "files",
    "network.transport": "pipe",
    "process.pid": 4242,
    "mcp.protocol.version": "2025-11-25",
    "jsonrpc.request.id": "2",
    "code.stacktrace": "at Object.run (McpServers.ts:1:1)"
  },
  ...overrides
})

/** The sample trace with its one tool call replaced. */
const withCall = (call: Partial<ToolCallRecord>): WorkflowTrace => {
  const base = sampleTrace()
  const node = base.nodes[0]!
  return {
    ...base,
    schemaVersion: 2,
    nodes: [{ ...node, toolCalls: [{ ...node.toolCalls[0]!, ...call }] }]
  }
}

const spansOf = (trace: WorkflowTrace): ReadonlyArray<DecodedSpan> => decode(OtlpExporter.encodeProtobuf(trace)).spans

const named = (spans: ReadonlyArray<DecodedSpan>, name: string) => {
  const found = spans.filter((s) => s.name === name)
  expect(found, name).toHaveLength(1)
  return found[0]!
}

describe("OtlpSpans: MCP tool calls", () => {
  it("carry the MCP attributes and the server's name on the execute_tool span, with no second span", () => {
    const trace = withCall({
      toolName: "list_directory",
      inputs: { path: "docs" },
      outputs: { text: "[FILE] notes.md" },
      spans: [stdioSpan()]
    })
    const spans = spansOf(trace)
    expect(spans.map((s) => s.name)).toEqual(["invoke_workflow review", "compute read", "execute_tool list_directory"])
    const tool = named(spans, "execute_tool list_directory")
    expect(tool.attributes).toEqual({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "list_directory",
      "gen_ai.tool.type": "function",
      "gen_ai.tool.call.arguments": `{"path":"docs"}`,
      "gen_ai.tool.call.result": `{"text":"[FILE] notes.md"}`,
      "mcp.method.name": "tools/call",
      "mcp.protocol.version": "2025-11-25",
      "jsonrpc.request.id": "2",
      "network.transport": "pipe",
      "victor.mcp.server": "files",
      "process.pid": 4242
    })
    expect(tool.status.code).toBe(0)
  })

  it("keep the name the node used (`<server>.<tool>`) and the HTTP server's address, port and session", () => {
    const trace = withCall({
      toolName: "docs.echo",
      spans: [stdioSpan({
        name: "tools/call echo",
        attributes: {
          "mcp.method.name": "tools/call",
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "echo",
          "victor.mcp.server": "docs",
          "network.transport": "tcp",
          "network.protocol.name": "http",
          "server.address": "127.0.0.1",
          "server.port": 39123,
          "mcp.session.id": "8267461134f24305af708e66b8eda71a",
          "mcp.protocol.version": "2025-11-25",
          "jsonrpc.request.id": "5"
        }
      })]
    })
    const tool = named(spansOf(trace), "execute_tool docs.echo")
    expect(tool.attributes).toMatchObject({
      "gen_ai.tool.name": "docs.echo",
      "victor.mcp.server": "docs",
      "network.transport": "tcp",
      "network.protocol.name": "http",
      "server.address": "127.0.0.1",
      "server.port": 39123,
      "mcp.session.id": "8267461134f24305af708e66b8eda71a"
    })
  })

  it("type a failed call by the MCP span's error.type, and keep its events and the spans it enclosed", () => {
    const trace = withCall({
      toolName: "read_text_file",
      success: false,
      error: "MCP server 'files': tool 'read_text_file' failed: ENOENT",
      spans: [
        stdioSpan({
          name: "tools/call read_text_file",
          success: false,
          error: "MCP server 'files': tool 'read_text_file' failed: ENOENT",
          attributes: { ...stdioSpan().attributes, "gen_ai.tool.name": "read_text_file", "error.type": "tool_error" },
          events: [{ name: "retrying", timestamp: t0 + 0.3, attributes: { attempt: 2 } }]
        }),
        {
          ...stdioSpan(),
          spanId: "00000000000000a2",
          parentSpanId: "00000000000000a1",
          name: "decode.result",
          kind: "internal",
          attributes: { bytes: 12 }
        }
      ]
    })
    const spans = spansOf(trace)
    const tool = named(spans, "execute_tool read_text_file")
    expect(tool.status).toEqual({ code: 2, message: "MCP server 'files': tool 'read_text_file' failed: ENOENT" })
    expect(tool.attributes).toMatchObject({ "error.type": "tool_error", "victor.mcp.server": "files" })
    expect(tool.events.map((e) => e.name)).toEqual(["retrying", "exception"])
    expect(spans.filter((s) => s.name.startsWith("tools/call"))).toEqual([])
    expect(named(spans, "decode.result").parentSpanId).toBe(tool.spanId)
  })

  it("leave a call to a server that never started typed as such, and other Effect spans as they were", () => {
    const trace = withCall({
      toolName: "ghost.boo",
      success: false,
      error: "MCP server 'ghost' failed to start: spawn /nowhere ENOENT",
      spans: [
        stdioSpan({
          name: "tools/call boo",
          success: false,
          error: "MCP server 'ghost' failed to start: spawn /nowhere ENOENT",
          attributes: {
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": "boo",
            "victor.mcp.server": "ghost",
            "network.transport": "pipe",
            "error.type": "server_unavailable"
          }
        }),
        { ...stdioSpan(), spanId: "00000000000000b1", name: "db.query", kind: "client", attributes: { "db.rows": 1 } }
      ]
    })
    const spans = spansOf(trace)
    expect(named(spans, "execute_tool ghost.boo").attributes).toMatchObject({
      "error.type": "server_unavailable",
      "victor.mcp.server": "ghost"
    })
    // Only the MCP span is folded: a span of another kind under the call goes out as before.
    expect(named(spans, "db.query")).toMatchObject({ spanId: "00000000000000b1", kind: 3, attributes: { "db.rows": 1 } })
  })
})
