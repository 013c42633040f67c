#!/usr/bin/env node
// A stand-in for a collector, for a machine without Docker: an OTLP/HTTP receiver that prints each span it receives
// as a tree, so you can see what Victor sends before pointing it at a real collector.
//
//   node examples/otlp-collector/print-receiver.mjs [port]        (default 4318; 0 picks a free one)
//   OTEL_EXPORTER_OTLP_PROTOCOL=http/json victor workflow trace examples/workflows/code_review.yaml --otlp
//
// It reads OTLP/JSON (gzip or not) on POST /v1/traces and answers 415 to protobuf, naming the variable to set. Plain
// Node, no dependencies; it prints "listening on <url>" first, then one block per request.
import { createServer } from "node:http"
import { gunzipSync } from "node:zlib"

const port = Number(process.argv[2] ?? 4318)

const valueOf = (value) => {
  if (value === undefined || value === null) return null
  if ("stringValue" in value) return value.stringValue
  if ("intValue" in value) return Number(value.intValue)
  if ("doubleValue" in value) return value.doubleValue
  if ("boolValue" in value) return value.boolValue
  if ("arrayValue" in value) return (value.arrayValue.values ?? []).map(valueOf)
  return null
}

const short = (text, width = 60) => {
  const one = String(text).replace(/\s+/g, " ")
  return one.length > width ? `${one.slice(0, width - 1)}…` : one
}

const print = (request) => {
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = Object.fromEntries(
      (resourceSpans.resource?.attributes ?? []).map((kv) => [kv.key, valueOf(kv.value)])
    )
    const spans = (resourceSpans.scopeSpans ?? []).flatMap((scope) => scope.spans ?? [])
    console.log(`service ${resource["service.name"] ?? "?"}: ${spans.length} spans`)
    const ids = new Set(spans.map((span) => span.spanId))
    const children = new Map()
    for (const span of spans) {
      const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : ""
      children.set(parent, [...(children.get(parent) ?? []), span])
    }
    const walk = (parent, depth) => {
      for (const span of children.get(parent) ?? []) {
        const millis = Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6
        const attributes = Object.fromEntries((span.attributes ?? []).map((kv) => [kv.key, valueOf(kv.value)]))
        const genAi = Object.entries(attributes)
          .filter(([key]) => key.startsWith("gen_ai.") && !key.endsWith(".arguments") && !key.endsWith(".result"))
          .map(([key, value]) => `${key}=${short(value, 30)}`)
        const failed = span.status?.code === 2 ? `  ERROR ${short(span.status.message ?? "")}` : ""
        console.log(`${"  ".repeat(depth + 1)}${span.name}  ${millis.toFixed(1)} ms${failed}`)
        if (genAi.length > 0) console.log(`${"  ".repeat(depth + 2)}${genAi.join("  ")}`)
        walk(span.spanId, depth + 1)
      }
    }
    walk("", 0)
  }
}

const server = createServer((req, res) => {
  const chunks = []
  req.on("data", (chunk) => chunks.push(chunk))
  req.on("end", () => {
    if (req.method !== "POST" || req.url !== "/v1/traces") {
      res.writeHead(404).end()
      return
    }
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      res.writeHead(415, { "content-type": "text/plain" })
        .end("this receiver reads OTLP/JSON: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json")
      return
    }
    try {
      const raw = Buffer.concat(chunks)
      const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw
      print(JSON.parse(body.toString("utf8")))
      res.writeHead(200, { "content-type": "application/json" }).end("{}")
    } catch (error) {
      res.writeHead(400, { "content-type": "text/plain" }).end(`unreadable OTLP/JSON: ${error.message}`)
    }
  })
})

server.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`)
})
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)))
