import { describe, expect, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { example, listFiles, runVictor, sandbox, storedTraces } from "./setup/runVictor.ts"

interface AgentTrace {
  status: string
  nodes: Array<{
    node_id: string
    node_type: string
    success: boolean
    outputs: Record<string, unknown>
    metadata: { model_calls?: Array<{ model: string; input_tokens: number; output_tokens: number }> }
    tool_calls: Array<{ tool_name: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }>
  }>
  events: Array<{ event_type: string; node_id?: string }>
}

describe("agent nodes with --script", () => {
  it("traces every model turn and the tool calls the agents made, with their real outputs", () => {
    const { home, traceDir } = sandbox()
    const out = join(home, "agents.json")
    const run = runVictor([
      "workflow",
      "trace",
      example("agent_review.yaml"),
      "--script",
      example("agent_review.script.yaml"),
      "--yes",
      "-o",
      out
    ], { home })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = JSON.parse(readFileSync(out, "utf8")) as AgentTrace
    expect(trace.status).toBe("succeeded")
    const reader = trace.nodes.find((n) => n.node_id === "readme_reviewer")!
    expect(reader.node_type).toBe("agent")
    expect(reader.tool_calls).toHaveLength(1)
    expect(reader.tool_calls[0]!.tool_name).toBe("read")
    // The tool really ran: its output is the README itself.
    expect(String(reader.tool_calls[0]!.outputs["content"])).toContain("# Victor")
    expect(reader.metadata.model_calls).toHaveLength(2)
    expect(reader.metadata.model_calls![0]).toMatchObject({ input_tokens: 180, output_tokens: 24 })
    expect(reader.outputs).toMatchObject({ success: true, tool_calls: 1 })
    const hunter = trace.nodes.find((n) => n.node_id === "todo_hunter")!
    expect(hunter.tool_calls.map((c) => c.tool_name)).toEqual(["grep"])
    expect(typeof hunter.tool_calls[0]!.outputs["count"]).toBe("number")
    const modelEvents = trace.events.filter((e) => e.event_type === "model_call_completed")
    expect(modelEvents.map((e) => e.node_id).sort()).toEqual([
      "readme_reviewer",
      "readme_reviewer",
      "todo_hunter",
      "todo_hunter"
    ])
    expect(storedTraces(traceDir)).toHaveLength(1)
  })

  it("prices in victor.config.json give the HTML report its costs, at run time and from the store", () => {
    const { home } = sandbox()
    const html = join(home, "report.html")
    const args = ["workflow", "trace", example("agent_review.yaml"), "--script", example("agent_review.script.yaml")]
    // The config is named by VICTOR_CONFIG: the agents read README.md from the repository, the working directory.
    const config = join(home, "victor.config.json")
    const env = { VICTOR_CONFIG: config }
    writeFileSync(config, "{}")
    const unpriced = runVictor([...args, "--yes", "-o", html], { home, env })
    expect(unpriced.code).toBe(0)
    expect(readFileSync(html, "utf8")).not.toContain("id=\"stat-cost\"")
    writeFileSync(config, JSON.stringify({ prices: { scripted: { input: 3, output: 15 } } }))
    const priced = runVictor([...args, "--yes", "-o", html], { home, env })
    expect(priced.code).toBe(0)
    expect(readFileSync(html, "utf8")).toMatch(/id="stat-cost">\$0\.\d+</)
    const exported = join(home, "exported.html")
    expect(runVictor(["trace", "export", "last", "-o", exported], { home, env }).code).toBe(0)
    expect(readFileSync(exported, "utf8")).toMatch(/id="stat-cost">\$0\.\d+</)
    writeFileSync(config, JSON.stringify({ prices: { scripted: { input: -1, output: 15 } } }))
    const bad = runVictor([...args, "--yes"], { home, env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("victor.config.json")
    expect(bad.stderr).toContain("prices")
  })

  it("an agent workflow without --script is bad input: exit 2, nothing stored", () => {
    const { home, traceDir } = sandbox()
    const run = runVictor(["workflow", "trace", example("agent_review.yaml")], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/agent nodes \('readme_reviewer', 'todo_hunter'\).*--script/)
    expect(listFiles(traceDir)).toEqual([])
  })

  it("a malformed script names the file, the node, the turn and the field", () => {
    const { home, traceDir } = sandbox()
    const script = join(home, "bad.script.json")
    writeFileSync(script, JSON.stringify({ readme_reviewer: [{ tool_call: [] }] }))
    const run = runVictor(["workflow", "trace", example("agent_review.yaml"), "--script", script], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(script)
    expect(run.stderr).toMatch(/node 'readme_reviewer', turn 1, field 'tool_call'/)
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
    expect(listFiles(traceDir)).toEqual([])
  })
})
