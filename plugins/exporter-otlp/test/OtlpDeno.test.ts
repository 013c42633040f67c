import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { decode } from "./otlpProto.ts"
import * as Receiver from "./receiver.ts"

const repoRoot = join(import.meta.dirname, "..", "..", "..")

describe("under Deno", () => {
  it("the plugin encodes OTLP protobuf and OTLP/JSON, and pushes gzip protobuf, with the real deno binary", async () => {
    // The receiver answers from a worker thread while spawnSync blocks this one.
    const receiver = await Receiver.start([503, 200])
    const run = spawnSync(
      join(repoRoot, "node_modules", ".bin", "deno"),
      [
        "run",
        "--quiet",
        "--no-prompt",
        "--allow-read",
        "--allow-env",
        "--allow-net=127.0.0.1",
        join(import.meta.dirname, "deno", "smoke.ts")
      ],
      {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 120_000,
        env: {
          ...process.env,
          NO_COLOR: "1",
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
          OTEL_SERVICE_NAME: "deno-smoke"
        }
      }
    )
    await receiver.close()
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    const output = JSON.parse(run.stdout) as {
      protobuf: string
      json: string
      pushed: { endpoint: string; receipt: Record<string, number> } | null
    }
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

    expect(output.pushed).toEqual({
      endpoint: receiver.url,
      receipt: { requests: 1, spans: 3, attempts: 2, rejectedSpans: 0 }
    })
    const requests = await receiver.requests()
    expect(requests.map((r) => r.status)).toEqual([503, 200])
    expect(requests[1]!.headers["content-encoding"]).toBe("gzip")
    expect(requests[1]!.gunzipped).toBeDefined()
    const pushed = decode(requests[1]!.payload)
    expect(pushed.resource).toEqual({ "service.name": "deno-smoke" })
    expect(pushed.spans.map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId))
  }, 120_000)
})
