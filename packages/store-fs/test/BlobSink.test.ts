// The file store's blob sink: a text streamed while a tool runs lands in blobs/<sha256> (0600) as the store would have
// written it at save time, with nothing left behind when it is dropped.
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as BlobSink from "@victor/core/BlobSink"
import * as Payload from "@victor/core/Payload"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as TraceStore from "@victor/core/TraceStore"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

/** Runs a test over a file store in a fresh temp directory (with `capture`), given the directory. */
const withStore = <A, E>(
  test: (directory: string) => Effect.Effect<A, E, TraceStore.TraceStore | TraceBlobs.TraceBlobs | BlobSink.BlobSink>,
  capture: Payload.CaptureOptions = {}
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const directory = NodePath.join(yield* fs.makeTempDirectoryScoped({ prefix: "victor-sink-" }), "traces")
    return yield* test(directory).pipe(Effect.provide(FileSystemTraceStore.layer({ directory, capture })))
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

const encoder = new TextEncoder()

/** `count` chunks of `size` bytes of `char`, as a command's stdout would come. */
const repeated = (char: string, size: number, count: number) =>
  Stream.fromIterable(Array.from({ length: count }, () => encoder.encode(char.repeat(size))))

const blobFiles = (directory: string) =>
  NodeFs.existsSync(NodePath.join(directory, "blobs")) ? NodeFs.readdirSync(NodePath.join(directory, "blobs")) : []

const fileSha256 = (file: string) => createHash("sha256").update(NodeFs.readFileSync(file)).digest("hex")

const MB = 1024 * 1024

describe("FileSystemTraceStore blob sink", () => {
  it.effect("the layers provide it; a 50 MB text lands in blobs/<sha256> (0600), whole, with no temp file left", () =>
    withStore((directory) =>
      Effect.gen(function*() {
        const ref = yield* BlobSink.captureText(repeated("z", 64 * 1024, 800))
        expect(Payload.isBlobRef(ref)).toBe(true)
        const hash = Payload.hashOf(ref as Payload.BlobRef)
        expect(blobFiles(directory)).toEqual([hash])
        const file = NodePath.join(directory, "blobs", hash)
        expect(NodeFs.statSync(file).size).toBe(50 * MB + 2)
        expect(NodeFs.statSync(file).mode & 0o777).toBe(0o600)
        expect(fileSha256(file)).toBe(hash)
        expect(ref).toEqual({ $blob: `sha256:${hash}`, bytes: 50 * MB + 2, preview: "z".repeat(Payload.PREVIEW_CHARS) })
      })
    ), 60_000)

  it.effect("a streamed blob is the blob a save would make: a trace holding it saves, reads and resolves", () =>
    withStore((directory) =>
      Effect.gen(function*() {
        const text = "line of output\n".repeat(700_000)
        const ref = yield* BlobSink.captureText(Stream.make(encoder.encode(text)), { maxInMemoryBytes: 1024 })
        // The same string saved inline is offloaded to the very same blob.
        const sameAtSave = yield* Payload.make().trace(sampleTrace({ outputs: { stdout: text } }))
        expect(sameAtSave.trace.outputs["stdout"]).toEqual(ref)
        const store = yield* TraceStore.TraceStore
        yield* store.save(sampleTrace({ traceId: "streamed", outputs: { stdout: ref } }))
        const stored = yield* store.get("streamed")
        expect(stored.outputs["stdout"]).toEqual(ref)
        expect((yield* TraceBlobs.resolve(stored)).outputs["stdout"]).toBe(text)
        expect(blobFiles(directory)).toEqual([Payload.hashOf(ref as Payload.BlobRef)])
      })
    ), 30_000)

  it.effect("the same text streamed twice is one blob", () =>
    withStore((directory) =>
      Effect.gen(function*() {
        const options = { maxInMemoryBytes: 0 }
        const first = yield* BlobSink.captureText(repeated("q", 4096, 100), options)
        const second = yield* BlobSink.captureText(repeated("q", 4096, 100), options)
        expect(second).toEqual(first)
        expect(blobFiles(directory)).toHaveLength(1)
      })
    ))

  it.live("a stream that fails or is interrupted leaves no blob and no temp file", () =>
    withStore((directory) =>
      Effect.gen(function*() {
        const failing = Stream.concat(repeated("f", 4096, 100), Stream.fail("pipe broke"))
        const failed = yield* Effect.exit(BlobSink.captureText(failing, { maxInMemoryBytes: 0 }))
        expect(Exit.isFailure(failed)).toBe(true)
        const endless = Stream.forever(repeated("i", 4096, 1))
        const interrupted = yield* Effect.exit(
          Effect.timeout(BlobSink.captureText(endless, { maxInMemoryBytes: 0 }), "100 millis")
        )
        expect(Exit.isFailure(interrupted)).toBe(true)
        expect(blobFiles(directory)).toEqual([])
      })
    ))

  it.effect("with capture mode preview nothing is written; with none, only the hash and size are kept", () =>
    Effect.gen(function*() {
      for (const mode of ["preview", "none"] as const) {
        yield* withStore((directory) =>
          Effect.gen(function*() {
            const ref = yield* BlobSink.captureText(repeated("p", 4096, 100), { maxInMemoryBytes: 0 })
            const hash = createHash("sha256").update(`"${"p".repeat(409_600)}"`).digest("hex")
            expect(ref).toEqual(
              mode === "preview"
                ? { $omitted: `sha256:${hash}`, bytes: 409_602, preview: "p".repeat(Payload.PREVIEW_CHARS) }
                : { $omitted: `sha256:${hash}`, bytes: 409_602 }
            )
            // Saved, the reference keeps the payload's hash and size (not the reference's own).
            const store = yield* TraceStore.TraceStore
            yield* store.save(sampleTrace({ traceId: mode, outputs: { stdout: ref } }))
            const stored = yield* store.get(mode)
            expect(stored.outputs["stdout"]).toEqual(
              mode === "preview" ? ref : { $omitted: `sha256:${hash}`, bytes: 409_602 }
            )
            expect(blobFiles(directory)).toEqual([])
          }), { mode })
      }
    }))
})

describe("FileSystemTraceStore layers", () => {
  it.effect("provide the blob sink with the store", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = NodePath.join(yield* fs.makeTempDirectoryScoped({ prefix: "victor-sink-" }), "traces")
      const sink = yield* Effect.serviceOption(BlobSink.BlobSink).pipe(
        Effect.provide(Layer.fresh(FileSystemTraceStore.layerPrepared({ directory, capture: { mode: "preview" } })))
      )
      expect(sink._tag).toBe("Some")
      expect(sink._tag === "Some" && sink.value.capture).toEqual({ mode: "preview" })
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})
