import { describe, expect, it } from "@effect/vitest"
import * as Exporter from "@victor/core/Exporter"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { trace as makeTrace } from "../testing/TraceFixtures.ts"

const sampleTrace = () => makeTrace([], { traceId: "trace-7" })

describe("Exporter.streamPieces", () => {
  it.effect("makes each piece when it is pulled, text as UTF-8", () =>
    Effect.gen(function*() {
      const made: Array<string> = []
      const stream = Exporter.streamPieces("demo", "Demo", sampleTrace(), function*() {
        made.push("a")
        yield "héllo "
        made.push("b")
        yield new Uint8Array([0x21])
      })
      expect(made).toEqual([])
      const first = yield* Stream.runCollect(Stream.take(stream, 1))
      expect(made).toEqual(["a"])
      expect(new TextDecoder().decode(Chunk.unsafeHead(first))).toBe("héllo ")
      const all = yield* Stream.runCollect(stream)
      expect(new TextDecoder().decode(Buffer.concat(Chunk.toReadonlyArray(all)))).toBe("héllo !")
    }))

  it.effect("a piece that throws fails the stream with an ExportError naming the format and the trace", () =>
    Effect.gen(function*() {
      const trace = sampleTrace()
      const stream = Exporter.streamPieces("demo", "Demo", trace, function*() {
        yield "first"
        throw new Error("no room")
      })
      const error = yield* Effect.flip(Stream.runCollect(stream))
      expect(error).toBeInstanceOf(Exporter.ExportError)
      expect(error.format).toBe("demo")
      expect(error.message).toBe(`demo export failed: trace ${trace.traceId} cannot be written as Demo: no room`)
      const atStart = yield* Effect.flip(Stream.runCollect(Exporter.streamPieces("demo", "Demo", trace, () => {
        throw "not an Error"
      })))
      expect(atStart.description).toBe(`trace ${trace.traceId} cannot be written as Demo: not an Error`)
    }))
})
