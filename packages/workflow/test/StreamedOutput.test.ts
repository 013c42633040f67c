// A tool's large output streams into the store's blobs while the tool runs: the output holds the reference a saved
// trace would hold, memory stays bounded, and redaction applies before any byte reaches the blob.
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as BlobSink from "@victor/core/BlobSink"
import * as Payload from "@victor/core/Payload"
import * as Redaction from "@victor/core/Redaction"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createHash } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

const load = (...source: ReadonlyArray<string>) => WorkflowLoader.parse(source.join("\n") + "\n", "test.yaml")

const shellNode = (command: string) =>
  load(
    "nodes:",
    "  - id: print",
    "    type: compute",
    "    tools: [shell]",
    `    inputs: { command: ${JSON.stringify(command)} }`
  )

/** The tools, a memory tracer, and a memory blob sink over `blobs` (with `capture`). */
const runLayer = (blobs: Map<string, Uint8Array>, capture: Payload.CaptureOptions = {}) =>
  Layer.mergeAll(
    Layer.provideMerge(ToolRegistry.layerBuiltinWith({ allowedPaths: [".", tmpdir()] }), NodeContext.layer),
    WorkflowTracer.layerMemory(),
    BlobSink.layerMemory(blobs, capture)
  )

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** The sha256 of the JSON string of `count` times `char`, hashed in pieces. */
const jsonOfRepeated = (char: string, count: number) => {
  const hash = createHash("sha256").update("\"")
  const piece = Buffer.alloc(1 << 20, char)
  for (let left = count; left > 0; left -= piece.length) hash.update(piece.subarray(0, Math.min(left, piece.length)))
  return hash.update("\"").digest("hex")
}

// A full GC on demand (the flag can be set at run time; `gc` then exists in a new context).
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** The heap in use once the garbage is gone. */
const liveHeap = () => {
  gc()
  return process.memoryUsage().heapUsed
}

/**
 * Runs an effect while weighing, every 200 ms, what the heap holds after a full GC; gives its result and the most the
 * live heap grew (what the run keeps, not the garbage it makes on the way).
 */
const withPeakHeap = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const before = liveHeap()
    let peak = before
    const timer = setInterval(() => (peak = Math.max(peak, liveHeap())), 200)
    const result = yield* Effect.ensuring(effect, Effect.sync(() => clearInterval(timer)))
    return { result, grew: peak - before }
  })

const MB = 1024 * 1024

describe("streamed tool outputs", () => {
  it.effect("a command printing 50 MB streams it to the sink: the blob's hash holds, the heap stays bounded", () => {
    const blobs = new Map<string, Uint8Array>()
    return Effect.gen(function*() {
      const workflow = yield* shellNode("head -c 50000000 /dev/zero | tr '\\0' 'a'")
      const { grew, result } = yield* withPeakHeap(WorkflowExecutor.execute(workflow))
      expect(result.status).toBe("succeeded")
      const stdout = result.trace.nodes[0]!.toolCalls[0]!.outputs["stdout"]
      const expected = jsonOfRepeated("a", 50_000_000)
      // The reference the store would have made of the string when saving the trace: same hash, size and preview.
      expect(stdout).toEqual({
        $blob: `sha256:${expected}`,
        bytes: 50_000_002,
        preview: "a".repeat(Payload.PREVIEW_CHARS)
      })
      // State (and so the node's outputs) holds the reference too.
      expect(result.trace.nodes[0]!.outputs).toEqual({ shell: { stdout, stderr: "", exit_code: 0 } })
      const blob = blobs.get(expected)!
      expect(blob.length).toBe(50_000_002)
      expect(sha256(blob)).toBe(expected)
      // Holding the output as a string alone would take 50 MB (and several times that on the way).
      expect(grew).toBeLessThan(16 * MB)
    }).pipe(Effect.provide(runLayer(blobs)))
  }, 60_000)

  it.effect("an output within the in-memory limit stays a string, as before", () =>
    Effect.gen(function*() {
      const blobs = new Map<string, Uint8Array>()
      const workflow = yield* shellNode("head -c 100000 /dev/zero | tr '\\0' 'b'")
      const result = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(runLayer(blobs)))
      expect(result.trace.nodes[0]!.toolCalls[0]!.outputs["stdout"]).toBe("b".repeat(100_000))
      expect(blobs.size).toBe(0)
    }))

  it.effect("without a sink, a large output is kept whole in memory (the fallback)", () =>
    Effect.gen(function*() {
      const workflow = yield* shellNode("head -c 9000000 /dev/zero | tr '\\0' 'c'")
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(Layer.mergeAll(
          Layer.provideMerge(ToolRegistry.layerBuiltin, NodeContext.layer),
          WorkflowTracer.layerMemory()
        ))
      )
      const stdout = result.trace.nodes[0]!.toolCalls[0]!.outputs["stdout"]
      expect(typeof stdout === "string" && stdout.length).toBe(9_000_000)
    }), 30_000)

  it.effect("a secret of the context spanning chunk boundaries never reaches the blob", () => {
    const blobs = new Map<string, Uint8Array>()
    // Secrets every 64 KiB, each across the boundary where a pipe's reads usually end, in 12 MB of output.
    const secret = "hunter2-correct-horse-battery"
    const directory = mkdtempSync(join(tmpdir(), "victor-stream-"))
    const file = join(directory, "out.txt")
    const parts: Array<string> = []
    for (let i = 1; i <= 190; i++) parts.push("x".repeat(65_536 - secret.length), secret)
    writeFileSync(file, parts.join(""))
    return Effect.gen(function*() {
      const workflow = yield* shellNode(`cat ${file}`)
      // The secret is one only because the context names it `password`: the trace's own redactor knows it.
      const result = yield* WorkflowExecutor.execute(workflow, { context: { password: secret } })
      const stdout = result.trace.nodes[0]!.toolCalls[0]!.outputs["stdout"]
      expect(Payload.isBlobRef(stdout)).toBe(true)
      const text = new TextDecoder().decode(blobs.get(Payload.hashOf(stdout as Payload.BlobRef))!)
      expect(text.includes("hunter2")).toBe(false)
      expect(text.split(Redaction.REDACTED).length - 1).toBe(190)
      expect(JSON.parse(text)).toBe(parts.join("").replaceAll(secret, Redaction.REDACTED))
    }).pipe(
      Effect.provide(runLayer(blobs)),
      Effect.provide(Redaction.layer(Redaction.defaults({}))),
      Effect.ensuring(Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
    )
  }, 30_000)

  it.effect("an output whose field a rule redacts whole is read to its end and dropped: nothing is written", () =>
    Effect.gen(function*() {
      const blobs = new Map<string, Uint8Array>()
      const workflow = yield* shellNode("head -c 9000000 /dev/zero | tr '\\0' 'e'; echo done >&2")
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(runLayer(blobs)),
        Effect.provide(Redaction.layer({ keys: ["stdout"] }))
      )
      expect(result.trace.nodes[0]!.toolCalls[0]!.outputs).toEqual({
        stdout: Redaction.REDACTED,
        stderr: "done\n",
        exit_code: 0
      })
      expect(blobs.size).toBe(0)
    }), 30_000)

  it.effect("with capture mode preview nothing is written: the output keeps the hash, size and preview", () =>
    Effect.gen(function*() {
      const blobs = new Map<string, Uint8Array>()
      const workflow = yield* shellNode("head -c 9000000 /dev/zero | tr '\\0' 'd'")
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(runLayer(blobs, { mode: "preview" }))
      )
      expect(result.trace.nodes[0]!.toolCalls[0]!.outputs["stdout"]).toEqual({
        $omitted: `sha256:${jsonOfRepeated("d", 9_000_000)}`,
        bytes: 9_000_002,
        preview: "d".repeat(Payload.PREVIEW_CHARS)
      })
      expect(blobs.size).toBe(0)
    }), 30_000)

  it.effect("a streamed output resolves back to the text the command printed", () => {
    const blobs = new Map<string, Uint8Array>()
    return Effect.gen(function*() {
      const workflow = yield* shellNode("seq 1 2000000")
      const result = yield* WorkflowExecutor.execute(workflow)
      const resolved = yield* TraceBlobs.resolve(result.trace)
      const stdout = resolved.nodes[0]!.toolCalls[0]!.outputs["stdout"] as string
      expect(stdout.length).toBe(14_888_896)
      expect(stdout.startsWith("1\n2\n3\n")).toBe(true)
      expect(stdout.endsWith("1999999\n2000000\n")).toBe(true)
    }).pipe(Effect.provide(runLayer(blobs)))
  }, 30_000)
})
