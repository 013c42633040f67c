// `victor workflow trace` with real model providers: the victor binary in a subprocess, talking to an HTTP server on
// loopback that speaks the real wire format (OpenAI chat completions, Anthropic Messages).
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, sep } from "node:path"
import { afterEach } from "vitest"
import { example, listFiles, plain, repoRoot, runVictor, sandbox, storedTraces, victorBin, type VictorRun } from "./setup/runVictor.ts"

interface Received {
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: any
}

interface Reply {
  readonly status?: number
  readonly json: unknown
}

const servers: Array<Server> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

/** A loopback server answering every request with `answer(body)`; returns its port and what it received. */
const serve = async (answer: (request: Received) => Reply) => {
  const received: Array<Received> = []
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const entry = {
        url: request.url ?? "",
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "null")
      }
      received.push(entry)
      const reply = answer(entry)
      response.writeHead(reply.status ?? 200, { "content-type": "application/json" })
      response.end(JSON.stringify(reply.json))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return { port: typeof address === "object" && address !== null ? address.port : 0, received }
}

/** A port nothing listens on. */
const closedPort = async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === "object" && address !== null ? address.port : 0
}

/** Runs victor without blocking this process (the server must answer meanwhile); provider variables are cleared. */
const victor = (args: ReadonlyArray<string>, options: { home: string; env?: Record<string, string> }) =>
  new Promise<VictorRun>((resolve) => {
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(VICTOR_|OPENAI_|ANTHROPIC_)/.test(key)) env[key] = value
    }
    const child = spawn(process.execPath, [victorBin, ...args], {
      cwd: repoRoot,
      env: { ...env, HOME: options.home, NO_COLOR: "1", ...options.env },
      // No stdin, as under spawnSync: victor waits for an open stdin pipe to end.
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

/** Every file under `dir`, with its text. */
const allFiles = (dir: string): Array<readonly [string, string]> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? allFiles(path) : [[path, readFileSync(path, "utf8")] as const]
  })

const secret = "sk-victor-test-KEY-5f3a9c1e"

/** The agent of a chat-completions request, told apart by its goal. */
const agentOf = (body: any): "readme_reviewer" | "todo_hunter" =>
  String(body.messages.find((m: any) => m.role === "user")?.content).includes("README") ? "readme_reviewer" : "todo_hunter"

const completion = (message: Record<string, unknown>, finish: string, usage: [number, number]) => ({
  id: "chatcmpl-x",
  object: "chat.completion",
  model: "gpt-loopback-1",
  choices: [{ index: 0, message: { role: "assistant", content: null, ...message }, finish_reason: finish }],
  usage: { prompt_tokens: usage[0], completion_tokens: usage[1], total_tokens: usage[0] + usage[1] }
})

/** Plays both agents of agent_review.yaml: one tool call each, then an answer once the tool's result is back. */
const agentReviewModel = ({ body }: Received): Reply => {
  const agent = agentOf(body)
  const hasResult = body.messages.some((m: any) => m.role === "tool")
  if (hasResult) {
    return { json: completion({ content: `${agent} is done.` }, "stop", [900, 12]) }
  }
  const call = agent === "readme_reviewer"
    ? { name: "read", arguments: JSON.stringify({ path: "README.md" }) }
    : { name: "grep", arguments: JSON.stringify({ pattern: "TODO", path: "packages/workflow/src", glob: "*.ts" }) }
  return { json: completion({ tool_calls: [{ id: `call_${agent}`, type: "function", function: call }] }, "tool_calls", [150, 20]) }
}

interface TraceFile {
  status: string
  nodes: Array<{
    node_id: string
    success: boolean
    error: string | null
    outputs: Record<string, unknown>
    metadata: { model_calls?: Array<Record<string, unknown>> }
    tool_calls: Array<{ tool_name: string; outputs: Record<string, unknown> }>
  }>
  events: Array<{ event_type: string; node_id?: string; data?: Record<string, unknown> }>
}

describe("workflow trace with --provider openai (chat completions on loopback)", () => {
  it("records every model turn and tool call; the tools really ran; the key is nowhere on disk", async () => {
    const server = await serve(agentReviewModel)
    const { home, traceDir } = sandbox()
    const out = join(home, "t.json")
    const run = await victor([
      "workflow",
      "trace",
      example("agent_review.yaml"),
      "--provider",
      "openai",
      "--base-url",
      `http://127.0.0.1:${server.port}/v1`,
      "--yes",
      "-o",
      out
    ], { home, env: { OPENAI_API_KEY: secret } })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = JSON.parse(readFileSync(out, "utf8")) as TraceFile
    expect(trace.status).toBe("succeeded")
    const reader = trace.nodes.find((n) => n.node_id === "readme_reviewer")!
    expect(reader.tool_calls.map((c) => c.tool_name)).toEqual(["read"])
    expect(String(reader.tool_calls[0]!.outputs["content"])).toContain("# Victor")
    expect(reader.outputs).toMatchObject({ response: "readme_reviewer is done.", success: true, tool_calls: 1 })
    expect(reader.metadata.model_calls).toMatchObject([
      { turn: 1, model: "gpt-loopback-1", input_tokens: 150, output_tokens: 20, finish_reason: "tool_calls" },
      { turn: 2, model: "gpt-loopback-1", input_tokens: 900, output_tokens: 12, finish_reason: "stop" }
    ])
    const hunter = trace.nodes.find((n) => n.node_id === "todo_hunter")!
    expect(hunter.tool_calls.map((c) => c.tool_name)).toEqual(["grep"])
    expect(typeof hunter.tool_calls[0]!.outputs["count"]).toBe("number")
    expect(trace.events.filter((e) => e.event_type === "model_call_completed").map((e) => e.node_id).sort()).toEqual([
      "readme_reviewer",
      "readme_reviewer",
      "todo_hunter",
      "todo_hunter"
    ])

    // What the model was sent: the default model, each node's own tools, and the real tool results.
    expect(server.received).toHaveLength(4)
    expect(server.received.every((r) => r.url === "/v1/chat/completions")).toBe(true)
    expect(server.received.every((r) => r.headers.authorization === `Bearer ${secret}`)).toBe(true)
    expect(server.received.every((r) => r.body.model === "gpt-4o-mini")).toBe(true)
    const toolsOf = (agent: string) =>
      server.received.find((r) => agentOf(r.body) === agent)!.body.tools.map((t: any) => t.function.name)
    expect(toolsOf("readme_reviewer")).toEqual(["read"])
    expect(toolsOf("todo_hunter")).toEqual(["grep", "read"])
    const fedBack = server.received.filter((r) => r.body.messages.some((m: any) => m.role === "tool"))
    expect(fedBack).toHaveLength(2)
    const readResult = fedBack.find((r) => agentOf(r.body) === "readme_reviewer")!.body.messages.at(-1)
    expect(readResult).toMatchObject({ role: "tool", tool_call_id: "call_readme_reviewer" })
    expect(JSON.parse(readResult.content).content).toContain("# Victor")
    expect(server.received[0]!.body.messages[0]).toEqual({ role: "system", content: expect.stringMatching(/^You are a/) })

    // One trace (and the blobs of its large values, the README among them), the key in none of them.
    const stored = allFiles(traceDir)
    expect(stored.filter(([path]) => !path.includes(`${sep}blobs${sep}`))).toHaveLength(1)
    for (const [path, text] of [...stored, [out, readFileSync(out, "utf8")] as const]) {
      expect(text.includes(secret), path).toBe(false)
    }
    expect(run.stdout).not.toContain(secret)
  })

  it("takes provider, model and base URL from VICTOR_PROVIDER, VICTOR_MODEL and OPENAI_BASE_URL", async () => {
    const server = await serve(agentReviewModel)
    const { home } = sandbox()
    const run = await victor(["workflow", "run", example("agent_review.yaml"), "--yes"], {
      home,
      env: {
        VICTOR_PROVIDER: "openai",
        VICTOR_MODEL: "llama3.1",
        OPENAI_BASE_URL: `http://127.0.0.1:${server.port}/v1`
      }
    })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(server.received).toHaveLength(4)
    expect(server.received.every((r) => r.body.model === "llama3.1")).toBe(true)
    // No key was set, and this local server needs none: no Authorization header is sent.
    expect(server.received.every((r) => r.headers.authorization === undefined)).toBe(true)
  })

  it("a bad key (401) fails the node with one clear error; the trace is stored; exit 1", async () => {
    const server = await serve(() => ({
      status: 401,
      json: { error: { message: `Incorrect API key provided: ${secret}`, type: "invalid_request_error" } }
    }))
    const { home, traceDir } = sandbox()
    const out = join(home, "t.json")
    const run = await victor([
      "workflow",
      "trace",
      example("agent_review.yaml"),
      "--provider",
      "openai",
      "--base-url",
      `http://127.0.0.1:${server.port}/v1`,
      "--yes",
      "-o",
      out
    ], { home, env: { OPENAI_API_KEY: secret } })
    expect(run.code).toBe(1)
    const expected = `openai provider: 401 Unauthorized from http://127.0.0.1:${server.port}/v1/chat/completions ` +
      "(Incorrect API key provided: [redacted]); check OPENAI_API_KEY"
    expect(run.stdout + run.stderr).toContain(expected)
    const trace = JSON.parse(readFileSync(out, "utf8")) as TraceFile
    expect(trace.status).toBe("failed")
    const reader = trace.nodes.find((n) => n.node_id === "readme_reviewer")!
    expect(reader.success).toBe(false)
    expect(reader.error).toBe(expected)
    expect(storedTraces(traceDir)).toHaveLength(1)
    for (const [path, text] of allFiles(traceDir)) expect(text.includes(secret), path).toBe(false)
    expect(readFileSync(out, "utf8")).not.toContain(secret)
    expect(run.stdout + run.stderr).not.toContain(secret)
  })

  it("an unreachable endpoint (connection refused) fails the node with one clear error; exit 1", async () => {
    const port = await closedPort()
    const { home, traceDir } = sandbox()
    const out = join(home, "t.json")
    const run = await victor([
      "workflow",
      "trace",
      example("agent_review.yaml"),
      "--provider",
      "openai",
      "--base-url",
      `http://127.0.0.1:${port}/v1`,
      "--yes",
      "-o",
      out
    ], { home, env: { OPENAI_API_KEY: secret } })
    expect(run.code).toBe(1)
    const trace = JSON.parse(readFileSync(out, "utf8")) as TraceFile
    expect(trace.status).toBe("failed")
    expect(trace.nodes.find((n) => n.node_id === "todo_hunter")!.error).toBe(
      `openai provider: cannot reach http://127.0.0.1:${port}/v1/chat/completions (ECONNREFUSED); check that the ` +
        "server is running and --base-url / OPENAI_BASE_URL"
    )
    expect(storedTraces(traceDir)).toHaveLength(1)
  })
})

describe("workflow trace with --provider anthropic (Messages API on loopback)", () => {
  it("runs the tool_use / tool_result round trip and records tokens and stop reasons", async () => {
    const server = await serve(({ body }) => {
      const agent = String(JSON.stringify(body.messages[0])).includes("README") ? "readme_reviewer" : "todo_hunter"
      const last = body.messages.at(-1)
      const answered = Array.isArray(last.content) && last.content.some((b: any) => b.type === "tool_result")
      const content = answered
        ? [{ type: "text", text: `${agent} is done.` }]
        : [{
          type: "tool_use",
          id: `toolu_${agent}`,
          name: agent === "readme_reviewer" ? "read" : "grep",
          input: agent === "readme_reviewer" ? { path: "README.md" } : { pattern: "TODO", path: "packages/cli/src" }
        }]
      return {
        json: {
          id: "msg_x",
          type: "message",
          role: "assistant",
          model: "claude-loopback",
          content,
          stop_reason: answered ? "end_turn" : "tool_use",
          stop_sequence: null,
          usage: { input_tokens: answered ? 700 : 90, output_tokens: answered ? 9 : 30 }
        }
      }
    })
    const { home } = sandbox()
    const out = join(home, "t.json")
    const run = await victor(
      ["workflow", "trace", example("agent_review.yaml"), "--provider", "anthropic", "--model", "claude-x", "--yes", "-o", out],
      { home, env: { ANTHROPIC_API_KEY: secret, ANTHROPIC_BASE_URL: `http://127.0.0.1:${server.port}` } }
    )
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = JSON.parse(readFileSync(out, "utf8")) as TraceFile
    const reader = trace.nodes.find((n) => n.node_id === "readme_reviewer")!
    expect(String(reader.tool_calls[0]!.outputs["content"])).toContain("# Victor")
    expect(reader.metadata.model_calls).toMatchObject([
      { model: "claude-loopback", input_tokens: 90, output_tokens: 30, finish_reason: "tool_calls" },
      { model: "claude-loopback", input_tokens: 700, output_tokens: 9, finish_reason: "stop" }
    ])
    expect(server.received.map((r) => r.url.split("?")[0])).toEqual(Array(4).fill("/v1/messages"))
    expect(server.received.every((r) => r.headers["x-api-key"] === secret && r.body.model === "claude-x")).toBe(true)
    const fedBack = server.received.filter((r) => r.body.messages.length === 3)
    expect(fedBack.map((r) => r.body.messages[2].content[0].type)).toEqual(["tool_result", "tool_result"])
    expect(readFileSync(out, "utf8")).not.toContain(secret)
  })
})

describe("choosing a provider", () => {
  it("an agent workflow with no provider configured is bad input that says how to configure one: exit 2", () => {
    const { home, traceDir } = sandbox()
    const run = runVictor(["workflow", "trace", example("agent_review.yaml")], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/no model provider; give --provider openai or --provider anthropic/)
    expect(run.stderr).toMatch(/VICTOR_PROVIDER/)
    expect(run.stderr).toMatch(/--script FILE/)
    expect(listFiles(traceDir)).toEqual([])
  })

  it("the public OpenAI API without OPENAI_API_KEY is bad input: exit 2, nothing stored", () => {
    const { home, traceDir } = sandbox()
    const run = runVictor(["workflow", "trace", example("agent_review.yaml"), "--provider", "openai"], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/the openai provider needs an API key: set OPENAI_API_KEY/)
    expect(listFiles(traceDir)).toEqual([])
  })

  it("--help explains --provider, --model and --base-url with examples, and that scripted is offline", () => {
    const { home } = sandbox()
    const help = plain(runVictor(["workflow", "trace", "--help"], { home }).stdout).replace(/\s+/g, " ")
    expect(help).toMatch(/--provider/)
    expect(help).toMatch(/scripted: a deterministic offline provider for demos and tests/)
    expect(help).toMatch(/OPENAI_API_KEY/)
    expect(help).toMatch(/--model llama3\.1/)
    expect(help).toMatch(/--base-url http:\/\/localhost:11434\/v1/)
  })
})
