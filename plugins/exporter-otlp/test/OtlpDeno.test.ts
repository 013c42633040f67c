import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { decode } from "./otlpProto.ts"

const repoRoot = join(import.meta.dirname, "..", "..", "..")

describe("under Deno", () => {
  it("the plugin encodes OTLP protobuf and OTLP/JSON with the real deno binary", () => {
    const run = spawnSync(
      join(repoRoot, "node_modules", ".bin", "deno"),
      ["run", "--quiet", "--no-prompt", "--allow-read", "--allow-env", join(import.meta.dirname, "deno", "smoke.ts")],
      { cwd: repoRoot, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } }
    )
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    const output = JSON.parse(run.stdout) as { protobuf: string; json: string }
    const { spans, resource } = decode(Buffer.from(output.protobuf, "base64"))
    expect(resource).toEqual({ "service.name": "victor" })
    expect(spans.map((s) => s.name)).toEqual(["invoke_workflow deno", "compute measure", "execute_tool length"])
    expect(spans[1]!.parentSpanId).toBe(spans[0]!.spanId)
    expect(spans[2]!.parentSpanId).toBe(spans[1]!.spanId)
    expect(spans[2]!.startTimeUnixNano).toBe(1_700_000_000_500_000_000n)
    expect(output.json.endsWith("\n")).toBe(true)
    const request = JSON.parse(output.json)
    expect(request.resourceSpans[0].scopeSpans[0].spans.map((s: { spanId: string }) => s.spanId)).toEqual(
      spans.map((s) => s.spanId)
    )
  }, 120_000)
})
