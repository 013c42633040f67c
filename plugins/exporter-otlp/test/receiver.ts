/**
 * A loopback OTLP/HTTP receiver for tests: a `node:http` server on 127.0.0.1 (a free port) that records every
 * request and answers from a script of replies.
 *
 * ```ts
 * const receiver = await Receiver.start([503, { status: 429, headers: { "retry-after": "1" } }, 200])
 * // push to receiver.url (http://127.0.0.1:PORT/v1/traces), or set OTEL_EXPORTER_OTLP_ENDPOINT=receiver.origin
 * const requests = await receiver.requests() // method, path, headers, body, gunzipped, payload, status, receivedAt
 * await receiver.close()
 * ```
 *
 * In an Effect test, `Receiver.make(script)` is the same receiver as a scoped resource (closed with the scope).
 *
 * The server runs in a worker thread, so it keeps answering while the test's own thread is blocked, e.g. in
 * `spawnSync` running the `victor` CLI: a CLI test can push to it with the synchronous `runVictor` helper.
 * Replies are taken in order, one per request; after the script, every request gets 200. A 200 with no body
 * is an empty `ExportTraceServiceResponse` (full success). Each reply mirrors the request's content-type unless it
 * sets its own. Test-only code: `node:*` imports are fine here.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Worker } from "node:worker_threads"
import { gunzipSync } from "node:zlib"

/** One scripted answer: a status, or a status with headers (e.g. `retry-after`), a body, and a delay before it. */
export type Reply =
  | number
  | {
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: string | Uint8Array
    /** Wait this long before answering (to make a client time out). */
    readonly delayMillis?: number
  }

/** A request as received. */
export interface ReceivedRequest {
  readonly method: string
  /** The request target: path and query, e.g. `/v1/traces`. */
  readonly path: string
  /** Lower-case names, as Node gives them. */
  readonly headers: Readonly<Record<string, string>>
  /** The body as sent (gzip when `content-encoding: gzip`). */
  readonly body: Uint8Array
  /** The body gunzipped (`node:zlib`), when it was sent with `content-encoding: gzip` and is valid gzip. */
  readonly gunzipped: Uint8Array | undefined
  /** The `ExportTraceServiceRequest` bytes: `gunzipped`, else `body`. */
  readonly payload: Uint8Array
  /** The status it was answered with. */
  readonly status: number
  /** `Date.now()` when its body had arrived. */
  readonly receivedAt: number
}

/** A running receiver. */
export interface Receiver {
  /** `http://127.0.0.1:PORT`: a base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly origin: string
  /** `http://127.0.0.1:PORT/v1/traces`: the traces URL. */
  readonly url: string
  /** The requests so far, in arrival order (still available after `close`). */
  readonly requests: () => Promise<ReadonlyArray<ReceivedRequest>>
  /** Stops the server, dropping open connections (a push to it then gets "connection refused"). */
  readonly close: () => Promise<void>
}

// The worker, as CommonJS source run with `eval` (a .ts worker file would need a loader).
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const http = require("node:http")
const script = workerData.script
const requests = []
const timers = new Set()
let served = 0
const server = http.createServer((req, res) => {
  const chunks = []
  req.on("data", (chunk) => chunks.push(chunk))
  req.on("end", () => {
    const scripted = served < script.length ? script[served] : 200
    served++
    const reply = typeof scripted === "number" ? { status: scripted } : scripted
    const headers = {}
    for (const [key, value] of Object.entries(req.headers)) headers[key] = Array.isArray(value) ? value.join(", ") : String(value)
    requests.push({
      method: req.method, path: req.url, headers, body: new Uint8Array(Buffer.concat(chunks)),
      status: reply.status, receivedAt: Date.now()
    })
    const out = { ...(reply.headers || {}) }
    if (!Object.keys(out).some((key) => key.toLowerCase() === "content-type") && req.headers["content-type"]) {
      out["content-type"] = req.headers["content-type"]
    }
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (res.destroyed) return
      res.writeHead(reply.status, out)
      res.end(reply.body === undefined ? undefined : Buffer.from(reply.body))
    }, reply.delayMillis || 0)
    timers.add(timer)
  })
})
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ type: "listening", port: server.address().port }))
parentPort.on("message", (message) => {
  if (message.type === "requests") parentPort.postMessage({ type: "requests", id: message.id, requests })
  else if (message.type === "close") {
    for (const timer of timers) clearTimeout(timer)
    server.close(() => parentPort.postMessage({ type: "closed" }))
    server.closeAllConnections()
  }
})
`

type Raw = Omit<ReceivedRequest, "gunzipped" | "payload">

const complete = (raw: Raw): ReceivedRequest => {
  let gunzipped: Uint8Array | undefined
  if (raw.headers["content-encoding"] === "gzip") {
    try {
      gunzipped = new Uint8Array(gunzipSync(raw.body))
    } catch {
      gunzipped = undefined
    }
  }
  return { ...raw, gunzipped, payload: gunzipped ?? raw.body }
}

/** Starts a receiver answering from `script` (then 200s). Close it when done. */
export const start = (script: ReadonlyArray<Reply> = []): Promise<Receiver> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { script } })
    const pending = new Map<number, (requests: ReadonlyArray<Raw>) => void>()
    let nextId = 0
    let final: ReadonlyArray<ReceivedRequest> | undefined
    let closing: Promise<void> | undefined
    let onClosed: (() => void) | undefined
    worker.once("error", reject)
    worker.on("message", (message: { type: string; port?: number; id?: number; requests?: ReadonlyArray<Raw> }) => {
      if (message.type === "listening") {
        const origin = `http://127.0.0.1:${message.port}`
        resolve({ origin, url: `${origin}/v1/traces`, requests, close })
      } else if (message.type === "requests") {
        pending.get(message.id!)?.(message.requests!)
        pending.delete(message.id!)
      } else if (message.type === "closed") onClosed?.()
    })
    const requests = (): Promise<ReadonlyArray<ReceivedRequest>> =>
      final !== undefined ? Promise.resolve(final) : new Promise((done) => {
        const id = nextId++
        pending.set(id, (raw) => done(raw.map(complete)))
        worker.postMessage({ type: "requests", id })
      })
    const close = (): Promise<void> => {
      closing ??= (async () => {
        final = await requests()
        await new Promise<void>((done) => {
          onClosed = done
          worker.postMessage({ type: "close" })
        })
        await worker.terminate()
      })()
      return closing
    }
  })

/** `start` as a scoped resource: the receiver closes with the scope. */
export const make = (script: ReadonlyArray<Reply> = []): Effect.Effect<Receiver, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => start(script)),
    (receiver) => Effect.promise(() => receiver.close())
  )
