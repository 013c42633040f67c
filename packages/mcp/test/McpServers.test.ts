/**
 * Tools from real MCP servers (the reference filesystem and everything servers, started over stdio from
 * node_modules with this Node, and the everything server over streamable HTTP behind a recording proxy): calls traced
 * with inputs, outputs and the MCP span and its OpenTelemetry attributes; a server killed mid-run and a server that
 * cannot start fail only the nodes that call their tools; headers reach an HTTP server, whose session ends with the
 * scope.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as EffectSpans from "@victor/core/EffectSpans"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as McpServers from "@victor/mcp/McpServers"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import {
  everythingServer,
  filesystemServer as fsServer,
  freePort,
  startEverythingHttp
} from "./setup/everythingHttp.ts"

const dir = realpathSync(mkdtempSync(join(tmpdir(), "victor-mcp-")))
writeFileSync(join(dir, "a.txt"), "hello from a\n")
writeFileSync(join(dir, "b.txt"), "bee\n")
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const servers: McpServers.ServerConfigs = {
  fs: { command: process.execPath, args: [fsServer, dir] },
  everything: { command: process.execPath, args: [everythingServer, "stdio"] }
}

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const load = (source: string) => WorkflowLoader.parse(source, "mcp.yaml")
const nodeOf = (trace: WorkflowTrace, id: string): NodeTraceRecord => trace.nodes.find((node) => node.nodeId === id)!

/** Runs a workflow over a registry built inside the test's scope, with Effect spans recorded into the trace. */
const run = (source: string, registry: Layer.Layer<ToolRegistry.ToolRegistry>, script: AgentProvider.ScriptInput = {}) =>
  Effect.gen(function*() {
    const workflow = yield* load(source)
    const provider = AgentProvider.layerScripted(Schema.decodeUnknownSync(AgentProvider.Script)(script))
    return yield* WorkflowExecutor.execute(workflow, { context: { dir } }).pipe(
      Effect.provide(Layer.mergeAll(registry, WorkflowTracer.layerMemory(), provider)),
      Effect.provide(EffectSpans.layer)
    )
  })

const platform = NodeContext.layer

describe("MCP servers as tools", () => {
  it.scoped("compute and agent nodes call filesystem and everything tools; each call is traced with its MCP span", () =>
    Effect.gen(function*() {
      const registry = McpServers.layer(servers, { builtin: { allowedPaths: [".", dir] } }).pipe(Layer.provide(platform))
      const context = yield* Layer.build(registry)
      const tools = Layer.succeedContext(context)
      const service = context.unsafeMap.get(ToolRegistry.ToolRegistry.key) as ToolRegistry.ToolRegistryService
      // Bare names, qualified names, the built-in tools, and the schema of each MCP tool's inputs.
      for (const name of ["read_file", "fs.read_file", "list_directory", "echo", "everything.echo", "get-sum", "shell"]) {
        expect(service.tools.has(name), name).toBe(true)
      }
      expect(service.tools.get("echo")?.inputSchema).toMatchObject({ type: "object", properties: { message: {} } })

      const result = yield* run(
        lines(
          "name: mcp",
          "nodes:",
          "  - { id: read, type: compute, tools: [read_file], inputs: { path: '{dir}/a.txt' } }",
          "  - { id: list, type: compute, tools: [fs.list_directory], inputs: { path: '{dir}' } }",
          "  - id: ask",
          "    goal: add and echo",
          "    tools: [echo, get-sum]",
          "    output: answer"
        ),
        tools,
        {
          ask: [
            { tool_calls: [{ name: "get-sum", arguments: { a: 2, b: 3 } }] },
            { tool_calls: [{ name: "echo", arguments: { message: "hi" } }] },
            { response: "done" }
          ]
        }
      )
      expect(result).toMatchObject({ status: "succeeded", error: null })
      const read = nodeOf(result.trace, "read").toolCalls[0]!
      expect(read).toMatchObject({ toolName: "read_file", success: true, inputs: { path: `${dir}/a.txt` } })
      expect(read.outputs["text"]).toBe("hello from a\n")
      expect(read.spans?.[0]).toMatchObject({
        name: "tools/call read_file",
        kind: "client",
        attributes: {
          "mcp.method.name": "tools/call",
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "read_file",
          "victor.mcp.server": "fs",
          "network.transport": "pipe"
        }
      })
      // The session's protocol version, the request's JSON-RPC id (after initialize and tools/list), the process.
      const attributes = read.spans![0]!.attributes
      expect(attributes["mcp.protocol.version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      expect(Number(attributes["jsonrpc.request.id"])).toBeGreaterThanOrEqual(2)
      expect(attributes["process.pid"]).toBeTypeOf("number")
      expect(attributes).not.toHaveProperty("mcp.session.id")
      const list = nodeOf(result.trace, "list").toolCalls[0]!
      expect(list.toolName).toBe("fs.list_directory")
      expect(list.outputs["text"]).toContain("[FILE] a.txt")
      expect(list.spans?.[0]?.attributes).toMatchObject({ "victor.mcp.server": "fs", "gen_ai.tool.name": "list_directory" })
      const calls = nodeOf(result.trace, "ask").toolCalls
      expect(calls.map((call) => [call.toolName, call.inputs, call.success])).toEqual([
        ["get-sum", { a: 2, b: 3 }, true],
        ["echo", { message: "hi" }, true]
      ])
      expect(calls[0]!.outputs["text"]).toContain("5")
      expect(calls[1]!.outputs["text"]).toBe("Echo: hi")
      expect(calls[1]!.spans?.[0]).toMatchObject({
        name: "tools/call echo",
        attributes: { "victor.mcp.server": "everything" }
      })
      // Each request of a session has its own id (0 and 1 were initialize and tools/list).
      expect(calls.map((call) => call.spans![0]!.attributes["jsonrpc.request.id"])).toEqual(["2", "3"])
    }).pipe(Effect.provide(platform)))

  it.scoped("a result with isError fails the call, naming the server, with error.type tool_error on its span", () =>
    Effect.gen(function*() {
      const registry = McpServers.layer({ fs: servers.fs! }).pipe(Layer.provide(platform))
      const tools = Layer.succeedContext(yield* Layer.build(registry))
      const result = yield* run(
        lines(
          "name: missing",
          "nodes:",
          "  - { id: read, type: compute, tools: [read_text_file], inputs: { path: '{dir}/nope.txt' } }"
        ),
        tools
      )
      const node = nodeOf(result.trace, "read")
      expect(node.error).toMatch(/^read_text_file: MCP server 'fs': tool 'read_text_file' failed: .*ENOENT/)
      expect(node.toolCalls[0]!.spans?.[0]).toMatchObject({
        success: false,
        attributes: { "error.type": "tool_error", "victor.mcp.server": "fs" }
      })
    }).pipe(Effect.provide(platform)))

  it.scoped("a server killed during a call fails only the node calling it, with one line naming the server", () =>
    Effect.gen(function*() {
      const started = yield* McpServers.startAll(servers)
      const everything = started.find((server) => server.name === "everything")!
      expect(everything.pid).toBeTypeOf("number")
      const builtin = yield* ToolRegistry.builtinTools
      const tools = ToolRegistry.layer({ tools: McpServers.combine(builtin, started) })
      const result = yield* run(
        lines(
          "name: crash",
          "nodes:",
          "  - id: fan",
          "    type: parallel",
          "    parallel_nodes: [long, killer, reader]",
          "  - id: long",
          "    type: compute",
          "    tools: [trigger-long-running-operation]",
          "    inputs: { duration: 5, steps: 5 }",
          `  - { id: killer, type: compute, tools: [shell], inputs: { command: 'sleep 0.5; kill ${everything.pid}' } }`,
          "  - { id: reader, type: compute, tools: [read_file], inputs: { path: '{dir}/b.txt' } }"
        ),
        tools
      )
      expect(result.status).toBe("failed")
      const long = nodeOf(result.trace, "long")
      expect(long.success).toBe(false)
      expect(long.toolCalls[0]).toMatchObject({ success: false })
      expect(long.error).toContain("MCP server 'everything' exited during call 'trigger-long-running-operation'")
      expect(String(long.error)).not.toContain("\n")
      expect(nodeOf(result.trace, "killer").success).toBe(true)
      expect(nodeOf(result.trace, "reader")).toMatchObject({ success: true })

      // After the crash, its tools fail at once; the other server's still work.
      const again = yield* run(
        lines(
          "name: after",
          "nodes:",
          "  - id: fan",
          "    type: parallel",
          "    parallel_nodes: [echo, reader]",
          "  - { id: echo, type: compute, tools: [echo], inputs: { message: hi } }",
          "  - { id: reader, type: compute, tools: [read_file], inputs: { path: '{dir}/b.txt' } }"
        ),
        tools
      )
      expect(nodeOf(again.trace, "echo").error).toContain("MCP server 'everything' has exited (call 'echo')")
      expect(nodeOf(again.trace, "reader").success).toBe(true)
    }).pipe(Effect.provide(platform)))

  it.scoped("a server whose command does not exist fails only the nodes using it, and warns once", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const registry = McpServers.layer(
        { fs: servers.fs!, ghost: { command: join(dir, "no-such-mcp-server") } },
        {
          expectedTools: ["haunt", "ghost.boo", "read_file"],
          onWarning: (message) => Effect.sync(() => void warnings.push(message))
        }
      ).pipe(Layer.provide(platform))
      const tools = Layer.succeedContext(yield* Layer.build(registry))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/^MCP server 'ghost' failed to start: /)
      const result = yield* run(
        lines(
          "name: ghost",
          "nodes:",
          "  - id: fan",
          "    type: parallel",
          "    parallel_nodes: [haunt, boo, reader]",
          "  - { id: haunt, type: compute, tools: [haunt], inputs: {} }",
          "  - { id: boo, type: compute, tools: [ghost.boo], inputs: {} }",
          "  - { id: reader, type: compute, tools: [read_file], inputs: { path: '{dir}/a.txt' } }"
        ),
        tools
      )
      expect(result.status).toBe("failed")
      for (const id of ["haunt", "boo"]) {
        const node = nodeOf(result.trace, id)
        expect(node.success).toBe(false)
        expect(node.error).toMatch(/MCP server 'ghost' failed to start: .*ENOENT/)
        expect(String(node.error)).not.toContain("\n")
        // The call's record names the server it was meant for.
        expect(node.toolCalls[0]!.spans?.[0]).toMatchObject({
          kind: "client",
          success: false,
          attributes: { "victor.mcp.server": "ghost", "error.type": "server_unavailable", "network.transport": "pipe" }
        })
      }
      expect(nodeOf(result.trace, "boo").toolCalls[0]!.spans?.[0]?.name).toBe("tools/call boo")
      expect(nodeOf(result.trace, "reader").success).toBe(true)
    }).pipe(Effect.provide(platform)))
})

describe("MCP servers over streamable HTTP", () => {
  it.scoped("tools of a server at a URL: headers on every request, HTTP attributes on the span, session ended after", () =>
    Effect.gen(function*() {
      const server = yield* Effect.acquireRelease(Effect.promise(startEverythingHttp), (s) => Effect.promise(s.stop))
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const registry = McpServers.layer(
          { remote: { url: server.url, headers: { authorization: "Bearer t0k3n", "x-team": "victor" } } },
          { withoutBuiltin: true }
        ).pipe(Layer.provide(platform))
        const tools = Layer.succeedContext(yield* Layer.build(registry))
        return yield* run(
          lines(
            "name: remote",
            "nodes:",
            "  - { id: echo, type: compute, tools: [remote.echo], inputs: { message: over http } }",
            "  - { id: sum, type: compute, tools: [get-sum], inputs: { a: 20, b: 22 } }"
          ),
          tools
        )
      }))
      expect(result.status).toBe("succeeded")
      const echo = nodeOf(result.trace, "echo").toolCalls[0]!
      expect(echo.outputs["text"]).toBe("Echo: over http")
      expect(nodeOf(result.trace, "sum").toolCalls[0]!.outputs["text"]).toContain("42")
      const port = Number(new URL(server.url).port)
      expect(echo.spans?.[0]?.attributes).toMatchObject({
        "victor.mcp.server": "remote",
        "gen_ai.tool.name": "echo",
        "network.transport": "tcp",
        "network.protocol.name": "http",
        "server.address": "127.0.0.1",
        "server.port": port
      })
      const session = echo.spans![0]!.attributes["mcp.session.id"]
      expect(session).toMatch(/^[0-9a-f-]{36}$/)
      // Headers are sent, never recorded.
      expect(JSON.stringify(result.trace)).not.toContain("t0k3n")
      expect(server.requests.length).toBeGreaterThanOrEqual(4)
      for (const request of server.requests) {
        expect(request.headers).toMatchObject({ authorization: "Bearer t0k3n", "x-team": "victor" })
      }
      // The session ended with the scope: a DELETE for it.
      expect(server.requests.filter((r) => r.method === "DELETE").map((r) => r.headers["mcp-session-id"])).toEqual([
        session
      ])
    }).pipe(Effect.provide(platform)))

  it.scoped("a URL nothing answers at, or that is not a URL, is a start error naming the server", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const started = yield* McpServers.startAll({
        gone: { url: `http://127.0.0.1:${port}/mcp` },
        typo: { url: "htp//nowhere" }
      })
      expect(started.map((server) => [server.name, server.transport, server.tools.length])).toEqual([
        ["gone", "http", 0],
        ["typo", "http", 0]
      ])
      expect(started[0]!.startError).toBe(
        `MCP server 'gone' failed to start: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`
      )
      expect(started[1]!.startError).toBe("MCP server 'typo' failed to start: not a URL: htp//nowhere")
    }))
})
