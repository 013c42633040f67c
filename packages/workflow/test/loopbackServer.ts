// A real HTTP server on loopback for provider tests: answers each request with the next scripted reply (in the
// provider's own wire format) and records what it received, so a test asserts what the provider really sent.
import * as Effect from "effect/Effect"
import { createServer, type Server } from "node:http"

export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: any
}

export interface Reply {
  readonly status?: number
  readonly json?: unknown
  readonly text?: string
  /** Answer only after this long. */
  readonly delayMs?: number
}

/** A loopback HTTP server answering each request with the next reply, recording what it received. */
export const serve = (replies: Array<Reply>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly port: number; readonly received: Array<Received>; readonly server: Server }>((resume) => {
      const received: Array<Received> = []
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8")
          received.push({
            method: request.method ?? "",
            url: request.url ?? "",
            headers: request.headers,
            body: raw === "" ? undefined : JSON.parse(raw)
          })
          const reply = replies.shift() ?? { status: 500, json: { error: { message: "the test sent no reply" } } }
          const timer = setTimeout(() => {
            if (response.destroyed) return
            response.writeHead(reply.status ?? 200, {
              "content-type": reply.text === undefined ? "application/json" : "text/html"
            })
            response.end(reply.text ?? JSON.stringify(reply.json))
          }, reply.delayMs ?? 0)
          response.on("close", () => clearTimeout(timer))
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(Effect.succeed({ port: typeof address === "object" && address !== null ? address.port : 0, received, server }))
      })
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )
