// Tools from MCP servers through the real `victor`: servers from victor.config.json and from the workflow file's
// `mcp_servers`, over stdio (the reference filesystem and everything servers, from node_modules) and streamable HTTP
// (the everything server behind a loopback proxy that records what reaches it). A run traces each call with its
// inputs, outputs, duration and server, and ends every server it started, Ctrl-C included; `validate` names a tool no
// server provides; a server that cannot be reached fails only the node calling it, with one line naming it.
// examples/mcp runs here as its README says, so it stays true.
import { spawn } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import {
  everythingServer,
  filesystemServer,
  freePort,
  startEverythingHttp
} from "../../mcp/test/setup/everythingHttp.ts"
import { repoRoot, runVictor, runVictorAsync, sandbox, storedTraces, victorBin } from "./setup/runVictor.ts"
import { isDead, sleep, waitFor } from "./setup/processes.ts"

interface SpanJson {
  readonly name: string
  readonly kind: string
  readonly success: boolean
  readonly attributes: Record<string, unknown>
}

interface ToolCallJson {
  readonly tool_name: string
  readonly inputs: Record<string, unknown>
  readonly outputs: Record<string, unknown>
  readonly duration_seconds: number
  readonly success: boolean
  readonly error: string | null
  readonly spans?: ReadonlyArray<SpanJson>
}

interface TraceJson {
  readonly status: string
  readonly nodes: ReadonlyArray<{
    readonly node_id: string
    readonly success: boolean
    readonly error: string | null
    readonly tool_calls: ReadonlyArray<ToolCallJson>
  }>
}

const exampleDir = join(repoRoot, "examples", "mcp")

const readTrace = (file: string): TraceJson => JSON.parse(readFileSync(file, "utf8")) as TraceJson

const nodeOf = (trace: TraceJson, id: string) => {
  const node = trace.nodes.find((n) => n.node_id === id)
  expect(node, id).toBeDefined()
  return node!
}

/** The server a call's record names: its `tools/call` span's `victor.mcp.server`. */
const serverOf = (call: ToolCallJson): unknown =>
  call.spans?.find((span) => span.name.startsWith("tools/call "))?.attributes["victor.mcp.server"]

/** A stdio server started through `sh`, which writes its pid to `pidFile` and becomes the server (`exec`). */
const withPid = (pidFile: string, script: string, ...args: ReadonlyArray<string>) => ({
  command: "sh",
  args: ["-c", "echo $$ > \"$0\"; exec \"$@\"", pidFile, process.execPath, script, ...args]
})


const pidIn = (file: string): number => Number(readFileSync(file, "utf8").trim())

/** Stack frames, which a failure must never print. */
const stackLine = /^\s+at .+[(:]\d+/m

describe("tools from MCP servers, through the victor CLI", () => {
  it("examples/mcp runs as its README says: each call traced with inputs, outputs, duration and server", async () => {
    const { home, traceDir } = sandbox()
    const out = join(home, "trace.json")
    const validate = runVictor(["workflow", "validate", "files.yaml"], { home, cwd: exampleDir })
    expect(validate.stderr).toBe("")
    expect(validate.stdout).toContain("files.yaml: workflow 'mcp_files' is valid (3 nodes)")
    const run = runVictor(["workflow", "trace", "files.yaml", "--script", "files.script.yaml", "-o", out], {
      home,
      cwd: exampleDir
    })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = readTrace(out)
    expect(trace.status).toBe("succeeded")
    const [list, read] = nodeOf(trace, "browse").tool_calls
    expect(list).toMatchObject({ tool_name: "list_directory", inputs: { path: "docs" }, success: true })
    expect(list!.outputs["text"]).toBe("[FILE] checklist.md\n[FILE] notes.md")
    expect(read).toMatchObject({ tool_name: "read_text_file", inputs: { path: "docs/notes.md" }, success: true })
    expect(read!.outputs["text"]).toBe(readFileSync(join(exampleDir, "docs", "notes.md"), "utf8"))
    const [info] = nodeOf(trace, "librarian").tool_calls
    expect(info).toMatchObject({ tool_name: "files.get_file_info", inputs: { path: "docs/notes.md" }, success: true })
    expect(info!.outputs["text"]).toContain("isFile: true")
    for (const call of [list!, read!, info!]) {
      expect(call.duration_seconds).toBeGreaterThan(0)
      expect(serverOf(call)).toBe("files")
      expect(call.spans![0]).toMatchObject({
        kind: "client",
        attributes: { "mcp.method.name": "tools/call", "network.transport": "pipe" }
      })
    }
    // The server process, named in the trace, has ended with the run.
    const pid = list!.spans![0]!.attributes["process.pid"] as number
    expect(pid).toBeTypeOf("number")
    expect(await waitFor(() => isDead(pid), 2000)).toBe(true)

    // The OTLP export carries the server on the execute_tool span, with the MCP attributes, and no second span.
    const otlp = join(home, "trace.otlp.json")
    const exported = runVictor(["trace", "export", "last", "--format", "otlp", "-o", otlp], { home, cwd: exampleDir })
    expect(exported.code).toBe(0)
    const spans = readFileSync(otlp, "utf8").trimEnd().split("\n").flatMap((line) =>
      (JSON.parse(line) as {
        resourceSpans: Array<{
          scopeSpans: Array<{
            spans: Array<{ name: string; attributes: Array<{ key: string; value: Record<string, unknown> }> }>
          }>
        }>
      }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
    )
    const tool = spans.find((span) => span.name === "execute_tool files.get_file_info")
    const attributes = Object.fromEntries(tool!.attributes.map((a) => [a.key, Object.values(a.value)[0]]))
    expect(attributes).toMatchObject({
      "gen_ai.tool.name": "files.get_file_info",
      "mcp.method.name": "tools/call",
      "network.transport": "pipe",
      "victor.mcp.server": "files"
    })
    expect(spans.filter((span) => span.name.startsWith("tools/call"))).toEqual([])
    expect(storedTraces(traceDir)).toHaveLength(1)
  })

  it("servers from victor.config.json and the workflow file both serve a run, and both end with it", async () => {
    const { home } = sandbox()
    const data = join(home, "data")
    mkdirSync(data)
    writeFileSync(join(data, "a.txt"), "alpha\n")
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({
      mcp_servers: { fs: withPid(join(home, "fs.pid"), filesystemServer, data) }
    }))
    // The workflow's own server: its cwd is relative to the workflow file, and it reads relative to its root.
    mkdirSync(join(home, "wf"))
    const workflow = join(home, "wf", "two.yaml")
    writeFileSync(workflow, [
      "name: two",
      "mcp_servers:",
      `  notes: ${JSON.stringify({ ...withPid(join(home, "notes.pid"), filesystemServer, "."), cwd: "../data" })}`,
      "nodes:",
      `  - { id: list, type: compute, tools: [fs.list_directory], inputs: { path: ${JSON.stringify(data)} } }`,
      "  - { id: read, type: compute, tools: [notes.read_text_file], inputs: { path: a.txt } }"
    ].join("\n"))
    const out = join(home, "out.json")
    const run = runVictor(["workflow", "trace", workflow, "-o", out], { home, cwd: home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = readTrace(out)
    const list = nodeOf(trace, "list").tool_calls[0]!
    expect(list.outputs["text"]).toBe("[FILE] a.txt")
    expect(serverOf(list)).toBe("fs")
    const read = nodeOf(trace, "read").tool_calls[0]!
    expect(read).toMatchObject({ tool_name: "notes.read_text_file", inputs: { path: "a.txt" } })
    expect(read.outputs["text"]).toBe("alpha\n")
    expect(serverOf(read)).toBe("notes")
    // The pids the servers wrote are the ones the trace names, and neither process is left.
    const pids = [pidIn(join(home, "fs.pid")), pidIn(join(home, "notes.pid"))]
    expect([list, read].map((call) => call.spans![0]!.attributes["process.pid"])).toEqual(pids)
    expect(await waitFor(() => pids.every(isDead), 2000)).toBe(true)
  })

  it("validate lists the tools that no built-in, plugin or server provides, and stops the server it started", async () => {
    const { home } = sandbox()
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({
      mcp_servers: { fs: withPid(join(home, "fs.pid"), filesystemServer, home) }
    }))
    const workflow = join(home, "unknown.yaml")
    writeFileSync(workflow, [
      "name: unknown",
      "nodes:",
      "  - { id: a, type: compute, tools: [list_directory, frobnicate], inputs: { path: . } }",
      "  - { id: b, type: compute, tools: [fs.no_such_tool], inputs: { path: . } }"
    ].join("\n"))
    const run = runVictor(["workflow", "validate", workflow], { home, cwd: home })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("unknown.yaml:3: node 'a' uses unknown tool 'frobnicate'; known tools: ")
    expect(run.stderr).toContain("unknown.yaml:4: node 'b' uses unknown tool 'fs.no_such_tool'; known tools: ")
    // What the server provides is among the names it lists.
    expect(run.stderr).toContain("fs.read_text_file")
    expect(run.stderr).not.toMatch(stackLine)
    expect(await waitFor(() => isDead(pidIn(join(home, "fs.pid"))), 2000)).toBe(true)
  })

  it("a server whose command does not exist fails only the node calling it: one line naming it, exit 1", () => {
    const { home, traceDir } = sandbox()
    writeFileSync(join(home, "a.txt"), "alpha\n")
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({
      mcp_servers: {
        fs: { command: process.execPath, args: [filesystemServer, home] },
        ghost: { command: join(home, "no-such-mcp-server") }
      }
    }))
    const workflow = join(home, "ghost.yaml")
    writeFileSync(workflow, [
      "name: ghost",
      "nodes:",
      "  - { id: reader, type: compute, tools: [read_text_file], inputs: { path: a.txt } }",
      "  - { id: boo, type: compute, tools: [ghost.boo], inputs: {} }"
    ].join("\n"))
    const out = join(home, "out.json")
    const run = runVictor(["workflow", "trace", workflow, "-o", out], { home, cwd: home })
    expect(run.code).toBe(1)
    expect(run.stderr).not.toMatch(stackLine)
    const warnings = run.stderr.split("\n").filter((line) => line.includes("ghost"))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^warning: MCP server 'ghost' failed to start: .*ENOENT/)
    const trace = readTrace(out)
    expect(trace.status).toBe("failed")
    expect(nodeOf(trace, "reader")).toMatchObject({ success: true })
    expect(nodeOf(trace, "reader").tool_calls[0]!.outputs["text"]).toBe("alpha\n")
    const boo = nodeOf(trace, "boo")
    expect(boo.success).toBe(false)
    expect(boo.error).toMatch(/^ghost\.boo: MCP server 'ghost' failed to start: .*ENOENT/)
    expect(boo.error).not.toContain("\n")
    expect(serverOf(boo.tool_calls[0]!)).toBe("ghost")
    expect(run.stdout).toContain("boo (compute): ghost.boo: MCP server 'ghost' failed to start")
    expect(storedTraces(traceDir)).toHaveLength(1)
  })

  it("a server at a URL, with headers: every request carries them, no trace or output does, the session ends", async () => {
    const server = await startEverythingHttp()
    try {
      const { home, traceDir } = sandbox()
      const nodes = [
        "nodes:",
        "  - { id: echo, type: compute, tools: [remote.echo], inputs: { message: over http } }",
        "  - { id: sum, type: compute, tools: [get-sum], inputs: { a: 20, b: 22 } }"
      ]
      // Declared in victor.config.json, and in the workflow file with its token from the environment.
      writeFileSync(join(home, "victor.config.json"), JSON.stringify({
        mcp_servers: { remote: { url: server.url, headers: { authorization: "Bearer s3cr3t-t0k3n", "x-team": "victor" } } }
      }))
      const fromConfig = join(home, "config.yaml")
      writeFileSync(fromConfig, ["name: from_config", ...nodes].join("\n"))
      const fromFile = join(home, "file.yaml")
      writeFileSync(fromFile, [
        "name: from_file",
        "mcp_servers:",
        `  remote: { url: ${JSON.stringify(server.url)}, headers: { authorization: "Bearer $env.MCP_TOKEN", x-team: file } }`,
        ...nodes
      ].join("\n"))
      for (const [workflow, token, team] of [
        [fromConfig, "s3cr3t-t0k3n", "victor"],
        [fromFile, "env-t0k3n", "file"]
      ] as const) {
        const seen = server.requests.length
        const out = join(home, "out.json")
        // Not spawnSync: the proxy answers from this process.
        const run = await runVictorAsync(["workflow", "trace", workflow, "-o", out], {
          home,
          cwd: home,
          env: { MCP_TOKEN: "env-t0k3n" }
        })
        expect(run.stderr).toBe("")
        expect(run.code).toBe(0)
        const trace = readTrace(out)
        const echo = nodeOf(trace, "echo").tool_calls[0]!
        expect(echo.outputs["text"]).toBe("Echo: over http")
        expect(nodeOf(trace, "sum").tool_calls[0]!.outputs["text"]).toContain("42")
        expect(echo.spans![0]!.attributes).toMatchObject({
          "victor.mcp.server": "remote",
          "network.transport": "tcp",
          "network.protocol.name": "http",
          "server.address": "127.0.0.1",
          "server.port": Number(new URL(server.url).port)
        })
        const session = echo.spans![0]!.attributes["mcp.session.id"]
        expect(session).toMatch(/^[0-9a-f-]{36}$/)
        const requests = server.requests.slice(seen)
        for (const request of requests) {
          expect(request.headers).toMatchObject({ authorization: `Bearer ${token}`, "x-team": team })
        }
        expect(requests.filter((r) => r.method === "POST").length).toBeGreaterThanOrEqual(4)
        expect(requests.filter((r) => r.method === "DELETE").map((r) => r.headers["mcp-session-id"])).toEqual([session])
        const stored = storedTraces(traceDir).map((file) => readFileSync(join(traceDir, file), "utf8"))
        for (const text of [readFileSync(out, "utf8"), ...stored, run.stdout, run.stderr]) {
          expect(text).not.toContain(token)
        }
      }
    } finally {
      await server.stop()
    }
  })

  it("a URL nothing answers at fails only the node calling the server, with one line naming it", async () => {
    const { home } = sandbox()
    const port = await freePort()
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({
      mcp_servers: { remote: { url: `http://127.0.0.1:${port}/mcp` } }
    }))
    const workflow = join(home, "gone.yaml")
    writeFileSync(workflow, [
      "name: gone",
      "nodes:",
      "  - { id: before, type: compute, tools: [shell], inputs: { command: echo still here } }",
      "  - { id: echo, type: compute, tools: [remote.echo], inputs: { message: hi } }"
    ].join("\n"))
    const out = join(home, "out.json")
    const run = runVictor(["workflow", "trace", workflow, "-o", out], { home, cwd: home })
    expect(run.code).toBe(1)
    expect(run.stderr).not.toMatch(stackLine)
    expect(run.stderr.split("\n").filter((line) => line.includes("remote"))).toEqual([
      `warning: MCP server 'remote' failed to start: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`
    ])
    const trace = readTrace(out)
    expect(nodeOf(trace, "before").success).toBe(true)
    const echo = nodeOf(trace, "echo")
    expect(echo.error).toBe(
      `remote.echo: MCP server 'remote' failed to start: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`
    )
    expect(echo.error).not.toContain("\n")
  })

  it("Ctrl-C during a call ends the run as cancelled and stops the server", async () => {
    const { home, traceDir } = sandbox()
    const pidFile = join(home, "everything.pid")
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({
      mcp_servers: { everything: withPid(pidFile, everythingServer, "stdio") }
    }))
    const workflow = join(home, "long.yaml")
    writeFileSync(workflow, [
      "name: long",
      "nodes:",
      "  - id: wait",
      "    type: compute",
      "    tools: [trigger-long-running-operation]",
      "    inputs: { duration: 30, steps: 30 }"
    ].join("\n"))
    const child = spawn(process.execPath, [victorBin, "workflow", "trace", workflow, "-o", "out.json", "--events", "ndjson"], {
      cwd: home,
      env: { ...process.env, HOME: home, NO_COLOR: "1" }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    // The call is under way once its tool_call_started event is out.
    const calling = await waitFor(() => child.exitCode !== null || stdout.includes("\"tool_call_started\""), 20_000)
    expect(calling && child.exitCode === null, `victor ended early or never called the tool: ${stderr}`).toBe(true)
    const server = pidIn(pidFile)
    expect(isDead(server)).toBe(false)
    await sleep(300)
    child.kill("SIGINT")
    expect(await closed).toBe(130)
    expect(stderr).toContain("victor: cancelled")
    expect(stderr).not.toMatch(stackLine)
    expect(await waitFor(() => isDead(server), 2000)).toBe(true)
    const trace = readTrace(join(home, "out.json"))
    expect(trace.status).toBe("cancelled")
    expect(serverOf(nodeOf(trace, "wait").tool_calls[0]!)).toBe("everything")
    expect(storedTraces(traceDir)).toHaveLength(1)
    expect(readdirSync(home)).toContain("out.json")
  })
})
