import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { join } from "node:path"

const repoRoot = join(import.meta.dirname, "..", "..", "..")

describe("under Deno", () => {
  it("core and workflow run a traced workflow with the real deno binary", () => {
    const run = spawnSync(
      join(repoRoot, "node_modules", ".bin", "deno"),
      ["run", "--quiet", "--no-prompt", "--allow-read", "--allow-env", join(import.meta.dirname, "deno", "smoke.ts")],
      { cwd: repoRoot, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } }
    )
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    const trace = JSON.parse(run.stdout) as {
      status: string
      outputs: Record<string, unknown>
      nodes: Array<{ node_id: string; tool_calls: Array<{ tool_name: string; outputs: unknown }> }>
    }
    expect(trace.status).toBe("succeeded")
    expect(trace.nodes.map((n) => n.node_id)).toEqual(["measure", "check", "shout", "done"])
    expect(trace.nodes[0]!.tool_calls).toMatchObject([{ tool_name: "length", outputs: { size: 4 } }])
    expect(trace.outputs).toMatchObject({ text: "deno", loud: "DENO", finished: true })
  }, 120_000)
})
