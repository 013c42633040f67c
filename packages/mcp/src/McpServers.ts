/**
 * Tools from MCP servers (Model Context Protocol). A config names servers: `{ name: { command, args?, env?, cwd? } }`
 * starts a process and speaks MCP over its stdio; `{ name: { url, headers? } }` speaks streamable HTTP to a URL.
 * `layer(configs)` is a scoped `ToolRegistry` layer: the built-in tools plus every server's tools. The servers are
 * started once, in parallel, when the layer is built (each within `startTimeout`, default 10 s), and closed when its
 * scope closes (the end of the run, an interruption or Ctrl-C included).
 *
 * Names: a tool is exposed by its MCP name, and always also as `<server>.<tool>`. When two sources expose the same
 * name (built-in tools first, then the servers in the order of the config), the first keeps the bare name and the
 * later ones are only available as `<server>.<tool>`.
 *
 * Failures stay with the nodes that call a server's tools: a call that the server answers with `isError`, a call
 * that times out (`callTimeout`, default 60 s) and a server that exits fail the call with a `ToolError` whose one
 * line names the server. A server that cannot be started fails no run: it gets a warning (`onWarning`), and the
 * names in `expectedTools` that no other source provides (and every `<server>.<tool>` of it) become tools that fail
 * with its start error, so that a workflow naming them validates and only the nodes calling them fail.
 *
 * Each call runs in the span `tools/call <tool>` (client kind), which Victor's tracer records under the tool call's
 * `spans` in the trace. Its attributes are the OpenTelemetry MCP client span's (semantic conventions, GenAI MCP
 * page): `mcp.method.name`, `gen_ai.operation.name` (`execute_tool`), `gen_ai.tool.name` (the server's name for the
 * tool), `jsonrpc.request.id`, `mcp.protocol.version`, `mcp.session.id` (streamable HTTP, when the server gives one),
 * `network.transport` (`pipe` for stdio, `tcp` for HTTP), `network.protocol.name`, `server.address` and
 * `server.port` (HTTP), `error.type` when the call fails (`tool_error` for a result with `isError`, `timeout`, or the
 * JSON-RPC error code, which `rpc.response.status_code` holds too), plus what the conventions have no attribute for: the server's name as `victor.mcp.server`
 * and a stdio server's `process.pid`. A call to a server that failed to start gets the same span, with `error.type`
 * `server_unavailable`, so every MCP tool call record names its server.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import type { JsonObject } from "@victor/core/Json"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js"
import type { ServerConfig, ServerConfigs } from "./McpConfig.ts"

export type { ServerConfig, ServerConfigs } from "./McpConfig.ts"
export { decode as decodeConfigs } from "./McpConfig.ts"

export interface LayerOptions {
  /** How long a server may take to start and list its tools (default 10 s). */
  readonly startTimeout?: Duration.DurationInput
  /** How long one tool call may take (default 60 s). */
  readonly callTimeout?: Duration.DurationInput
  /** Tool names a workflow uses: those no source provides fail with the start error of a server that failed. */
  readonly expectedTools?: Iterable<string>
  /** Where warnings go (a server that failed to start); default `Effect.logWarning`. */
  readonly onWarning?: (message: string) => Effect.Effect<void>
  /** Options of the built-in tools. */
  readonly builtin?: ToolRegistry.RegistryOptions
  /** Leave the built-in tools out (the registry holds only the servers' tools and `builtin.tools`). */
  readonly withoutBuiltin?: boolean
}

/** A started server: its tools, its process id (stdio), and why it failed to start. */
export interface StartedServer {
  readonly name: string
  /** How it is spoken to. */
  readonly transport: "stdio" | "http"
  readonly tools: ReadonlyArray<ToolRegistry.Tool>
  /** The MCP names of its tools, in its order. */
  readonly toolNames: ReadonlyArray<string>
  readonly pid: number | undefined
  /** Why it could not be started (then it has no tools). */
  readonly startError: string | undefined
}

const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim()

// An error's message, with its cause's when that says more (`fetch failed` is a TypeError whose cause is the
// `connect ECONNREFUSED 127.0.0.1:3001` that explains it).
const messageOf = (error: unknown): string => {
  if (!(error instanceof Error)) return oneLine(String(error))
  const cause: unknown = error.cause
  const first = cause instanceof AggregateError && cause.errors.length > 0 ? cause.errors[0] : cause
  const detail = first instanceof Error
    ? first.message !== "" ? first.message : String((first as { code?: unknown }).code ?? "")
    : ""
  return oneLine(detail === "" || error.message.includes(detail) ? error.message : `${error.message} (${detail})`)
}

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const toolError = (tool: string, description: string, reason: typeof ToolRegistry.ToolErrorReason.Type = "Failed") =>
  new ToolRegistry.ToolError({ reason, tool, description })

/** The attributes every `tools/call` span of a server carries (see the top of this module). */
const spanAttributes = (
  name: string,
  tool: string,
  config: ServerConfig
): Record<string, string | number> => {
  const attributes: Record<string, string | number> = {
    "mcp.method.name": "tools/call",
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": tool,
    "victor.mcp.server": name
  }
  if ("command" in config) {
    attributes["network.transport"] = "pipe"
    return attributes
  }
  attributes["network.transport"] = "tcp"
  attributes["network.protocol.name"] = "http"
  try {
    const url = new URL(config.url)
    attributes["server.address"] = url.hostname.replace(/^\[(.*)\]$/, "$1")
    attributes["server.port"] = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80
  } catch {
    // A URL that does not parse fails the server's start; its calls say so.
  }
  return attributes
}

// `error.type` of a call that threw: the JSON-RPC error code the server answered with, else what the SDK says.
const errorTypeOf = (error: unknown, message: string): string | undefined => {
  if (/timed out|timeout/i.test(message)) return "timeout"
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === "number" && code !== -32000 ? String(code) : undefined
}

/** Starts one server and lists its tools; never fails (a server that cannot start carries its error). */
export const start = (
  name: string,
  config: ServerConfig,
  options: LayerOptions = {}
): Effect.Effect<StartedServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const startTimeout = Duration.decode(options.startTimeout ?? "10 seconds")
    const callTimeout = Duration.toMillis(Duration.decode(options.callTimeout ?? "60 seconds"))
    let stderrTail = ""
    let closed = false
    const client = new Client({ name: "victor", version: "0.1.0" })
    client.onclose = () => {
      closed = true
    }
    let stdio: StdioClientTransport | undefined
    let http: StreamableHTTPClientTransport | undefined
    let transport: Transport
    if ("command" in config) {
      transport = stdio = new StdioClientTransport({
        command: config.command,
        ...(config.args === undefined ? {} : { args: [...config.args] }),
        ...(config.env === undefined ? {} : { env: { ...config.env } }),
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
        stderr: "pipe"
      })
    } else {
      let url: URL
      try {
        url = new URL(config.url)
      } catch {
        return {
          name,
          transport: "http",
          tools: [],
          toolNames: [],
          pid: undefined,
          startError: `MCP server '${name}' failed to start: not a URL: ${oneLine(config.url).slice(0, 200)}`
        }
      }
      transport = http = new StreamableHTTPClientTransport(url, {
        ...(config.headers === undefined ? {} : { requestInit: { headers: { ...config.headers } } })
      })
    }
    // What the spans need of the session: the protocol version the server agreed to (the client hands it to the
    // transport, which stdio has no use for), and the JSON-RPC id of each request, which the client sends
    // synchronously from `callTool`, so the id sent during that call is its own.
    let protocolVersion: string | undefined
    let lastRequestId: string | number | undefined
    const setProtocolVersion = transport.setProtocolVersion?.bind(transport)
    transport.setProtocolVersion = (version: string) => {
      protocolVersion = version
      setProtocolVersion?.(version)
    }
    const send = transport.send.bind(transport)
    transport.send = (message, sendOptions) => {
      if ("method" in message && "id" in message) lastRequestId = message.id
      return send(message, sendOptions)
    }
    // The server's stderr is kept (its last lines explain a failed start), never printed over Victor's output.
    stdio?.stderr?.on("data", (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString("utf8")).slice(-2000)
    })
    const withStderr = (message: string) => {
      const tail = oneLine(stderrTail).slice(-300)
      return tail.length === 0 ? message : `${message} (stderr: ${tail})`
    }
    // Closed with the scope: the process ends with the run; an HTTP session is ended first (a DELETE, as the protocol
    // asks of a client that is done with it), waiting for it at most a second.
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        if (http !== undefined && !closed) {
          let timer: ReturnType<typeof setTimeout> | undefined
          await Promise.race([
            http.terminateSession().catch(() => undefined),
            new Promise((resolve) => (timer = setTimeout(resolve, 1000)))
          ])
          clearTimeout(timer)
        }
        await client.close().catch(() => undefined)
      })
    )
    const listed = yield* Effect.tryPromise({
      try: async (signal) => {
        await client.connect(transport, { signal })
        const tools: Array<{ name: string; description?: string | undefined; inputSchema: unknown }> = []
        let cursor: string | undefined
        do {
          const page = await client.listTools(cursor === undefined ? {} : { cursor }, { signal })
          tools.push(...page.tools)
          cursor = page.nextCursor
        } while (cursor !== undefined)
        return tools
      },
      catch: (error) => withStderr(messageOf(error))
    }).pipe(
      Effect.timeoutFail({
        duration: startTimeout,
        onTimeout: () => withStderr(`did not start within ${Duration.format(startTimeout)}`)
      }),
      Effect.either
    )
    if (listed._tag === "Left") {
      return {
        name,
        transport: stdio === undefined ? "http" : "stdio",
        tools: [],
        toolNames: [],
        pid: stdio?.pid ?? undefined,
        startError: `MCP server '${name}' failed to start: ${listed.left}`
      }
    }
    const call = (tool: string) => (inputs: JsonObject): Effect.Effect<JsonObject, ToolRegistry.ToolError> =>
      Effect.gen(function*() {
        if (closed) {
          return yield* Effect.fail(toolError(tool, withStderr(`MCP server '${name}' has exited (call '${tool}')`)))
        }
        const session: Record<string, string> = {}
        if (protocolVersion !== undefined) session["mcp.protocol.version"] = protocolVersion
        const sessionId = transport.sessionId
        if (sessionId !== undefined) session["mcp.session.id"] = sessionId
        let requestId: string | number | undefined
        const result = yield* Effect.tryPromise({
          try: (signal) => {
            lastRequestId = undefined
            const sent = client.callTool({ name: tool, arguments: inputs }, undefined, { signal, timeout: callTimeout })
            requestId = lastRequestId
            return sent
          },
          catch: (error) => {
            const message = messageOf(error)
            const errorType = errorTypeOf(error, message)
            if (errorType !== undefined) session["error.type"] = errorType
            if (errorType !== undefined && errorType !== "timeout") session["rpc.response.status_code"] = errorType
            if (errorType === "timeout") {
              return toolError(tool, `MCP server '${name}': call '${tool}' timed out after ${callTimeout} ms`, "Timeout")
            }
            if (closed || /connection closed|not connected/i.test(message)) {
              return toolError(tool, withStderr(`MCP server '${name}' exited during call '${tool}'`))
            }
            return toolError(tool, `MCP server '${name}': call '${tool}' failed: ${message}`)
          }
        }).pipe(
          Effect.ensuring(Effect.suspend(() => {
            if (requestId !== undefined) session["jsonrpc.request.id"] = String(requestId)
            return Effect.forEach(Object.entries(session), ([key, value]) => Effect.annotateCurrentSpan(key, value), {
              discard: true
            })
          }))
        )
        const content = Array.isArray(result.content) ? result.content as ReadonlyArray<unknown> : []
        const text = content.flatMap((part) =>
          isJsonObject(part) && part["type"] === "text" && typeof part["text"] === "string" ? [part["text"]] : []
        ).join("\n")
        if (result.isError === true) {
          yield* Effect.annotateCurrentSpan("error.type", "tool_error")
          return yield* Effect.fail(
            toolError(tool, `MCP server '${name}': tool '${tool}' failed: ${oneLine(text) || "no message"}`)
          )
        }
        const output: Record<string, unknown> = { text, content }
        if (isJsonObject(result.structuredContent)) output["structuredContent"] = result.structuredContent
        return JSON.parse(JSON.stringify(output)) as JsonObject
      }).pipe(
        Effect.withSpan(`tools/call ${tool}`, {
          kind: "client",
          attributes: {
            ...spanAttributes(name, tool, config),
            ...(stdio?.pid == null ? {} : { "process.pid": stdio.pid })
          }
        })
      )
    return {
      name,
      transport: stdio === undefined ? "http" : "stdio",
      toolNames: listed.right.map((tool) => tool.name),
      tools: listed.right.map((tool): ToolRegistry.Tool => ({
        name: tool.name,
        description: tool.description ?? "",
        ...(isJsonObject(tool.inputSchema)
          ? { inputSchema: JSON.parse(JSON.stringify(tool.inputSchema)) as JsonObject }
          : {}),
        run: call(tool.name)
      })),
      pid: stdio?.pid ?? undefined,
      startError: undefined
    }
  })

/** Starts every server, in parallel; closed with the scope. */
export const startAll = (
  configs: ServerConfigs,
  options: LayerOptions = {}
): Effect.Effect<ReadonlyArray<StartedServer>, never, Scope.Scope> =>
  Effect.forEach(Object.entries(configs), ([name, config]) => start(name, config, options), { concurrency: "unbounded" })

/**
 * The tools of the started servers on top of `base` (built-in tools): see the naming rule at the top. Names in
 * `expectedTools` that nothing provides fail with the start errors of the servers that failed.
 */
export const combine = (
  base: ReadonlyArray<ToolRegistry.Tool>,
  servers: ReadonlyArray<StartedServer>,
  expectedTools: Iterable<string> = []
): ReadonlyArray<ToolRegistry.Tool> => {
  const byName = new Map<string, ToolRegistry.Tool>()
  for (const tool of base) byName.set(tool.name, tool)
  for (const server of servers) {
    for (const tool of server.tools) {
      const qualified = `${server.name}.${tool.name}`
      if (!byName.has(tool.name)) byName.set(tool.name, tool)
      if (!byName.has(qualified)) byName.set(qualified, { ...tool, name: qualified })
    }
  }
  const failed = servers.filter((server) => server.startError !== undefined)
  if (failed.length > 0) {
    // The call is still an MCP call that went wrong: its span names the server (when one server is the one meant).
    const stub = (name: string, message: string, server: StartedServer | undefined): ToolRegistry.Tool => ({
      name,
      description: message,
      run: () => {
        const failure = Effect.fail(toolError(name, message))
        if (server === undefined) return failure
        const tool = name.startsWith(`${server.name}.`) ? name.slice(server.name.length + 1) : name
        return failure.pipe(Effect.withSpan(`tools/call ${tool}`, {
          kind: "client",
          attributes: {
            "mcp.method.name": "tools/call",
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": tool,
            "victor.mcp.server": server.name,
            "network.transport": server.transport === "stdio" ? "pipe" : "tcp",
            "error.type": "server_unavailable"
          }
        }))
      }
    })
    for (const name of expectedTools) {
      if (byName.has(name)) continue
      const owner = failed.find((server) => name.startsWith(`${server.name}.`))
      const message = owner !== undefined
        ? `${owner.startError}`
        : failed.map((server) => server.startError).join("; ")
      byName.set(name, stub(name, message, owner ?? (failed.length === 1 ? failed[0] : undefined)))
    }
  }
  return Array.from(byName.values())
}

/**
 * A scoped `ToolRegistry`: the built-in tools plus the servers' tools (see the top of this module). Building it never
 * fails: a server that cannot start is a warning, and the tools of it that are called fail.
 */
export const layer = (
  configs: ServerConfigs,
  options: LayerOptions = {}
): Layer.Layer<
  ToolRegistry.ToolRegistry,
  never,
  FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> =>
  Layer.scoped(
    ToolRegistry.ToolRegistry,
    Effect.gen(function*() {
      const builtin = options.withoutBuiltin === true
        ? []
        : Array.from((yield* ToolRegistry.ToolRegistry.pipe(
          Effect.provide(ToolRegistry.layerBuiltinWith({ ...options.builtin, tools: [] }))
        )).tools.values())
      const servers = yield* startAll(configs, options)
      const warn = options.onWarning ?? ((message: string) => Effect.logWarning(message))
      for (const server of servers) if (server.startError !== undefined) yield* warn(server.startError)
      const tools = combine([...builtin, ...(options.builtin?.tools ?? [])], servers, options.expectedTools)
      return ToolRegistry.make({ tools })
    })
  )
