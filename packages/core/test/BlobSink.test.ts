// Streamed text: the blob is the JSON string the store would write of the whole text (same bytes, same sha256), and
// redaction finds every secret however the text was cut into pieces.
import { describe, expect, it } from "@effect/vitest"
import * as BlobSink from "@victor/core/BlobSink"
import * as Payload from "@victor/core/Payload"
import * as Redaction from "@victor/core/Redaction"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The bytes of `text` cut at the given byte offsets (a cut may fall inside a character). */
const cutAt = (bytes: Uint8Array, offsets: ReadonlyArray<number>): Array<Uint8Array> => {
  const pieces: Array<Uint8Array> = []
  let from = 0
  for (const at of [...offsets, bytes.length]) {
    if (at > from) pieces.push(bytes.subarray(from, at))
    from = Math.max(from, at)
  }
  return pieces
}

/** Every `size` bytes. */
const every = (bytes: Uint8Array, size: number) =>
  cutAt(bytes, Array.from({ length: Math.floor(bytes.length / size) }, (_, i) => (i + 1) * size))

/**
 * Streams the pieces (always streamed: no in-memory phase) into a memory sink, with these redaction rules; gives the
 * reference and the blob's text.
 */
const streamed = (pieces: ReadonlyArray<Uint8Array>, rules: Redaction.Rules = {}) => {
  const blobs = new Map<string, Uint8Array>()
  return Effect.gen(function*() {
    const ref = yield* BlobSink.captureText(Stream.fromIterable(pieces), { maxInMemoryBytes: 0 })
    expect(Payload.isBlobRef(ref)).toBe(true)
    const blob = blobs.get(Payload.hashOf(ref as Payload.BlobRef))!
    expect(createHash("sha256").update(blob).digest("hex")).toBe(Payload.hashOf(ref as Payload.BlobRef))
    return { ref: ref as Payload.BlobRef, json: decoder.decode(blob) }
  }).pipe(Effect.provide(Layer.merge(BlobSink.layerMemory(blobs), Redaction.layer(rules))))
}

/** What the store would keep of `text` at save time (after redacting it whole with `rules`). */
const atSave = (text: string, rules: Redaction.Rules = {}) => {
  const redacted = Redaction.make(rules).text(text)
  const json = JSON.stringify(redacted)
  return {
    json,
    ref: {
      $blob: `sha256:${createHash("sha256").update(json).digest("hex")}`,
      bytes: encoder.encode(json).length,
      preview: redacted.slice(0, Payload.PREVIEW_CHARS)
    }
  }
}

// The cut the redactor first tries: the text it holds less the 64 KiB it always keeps back.
const SEGMENT = 1024 * 1024
const WINDOW = 64 * 1024

describe("BlobSink.captureText", () => {
  it.effect("a text within the limit is the text itself, nothing written", () =>
    Effect.gen(function*() {
      const blobs = new Map<string, Uint8Array>()
      const text = yield* BlobSink.captureText(Stream.make(encoder.encode("héllo "), encoder.encode("wörld"))).pipe(
        Effect.provide(BlobSink.layerMemory(blobs))
      )
      expect(text).toBe("héllo wörld")
      expect(blobs.size).toBe(0)
    }))

  it.effect("without a sink the whole text is kept, however large", () =>
    Effect.gen(function*() {
      const text = yield* BlobSink.captureText(Stream.make(encoder.encode("x".repeat(9_000_000))))
      expect(text).toBe("x".repeat(9_000_000))
    }))

  it.effect("characters cut between their bytes, and invalid bytes, stream to the JSON a save writes", () =>
    Effect.gen(function*() {
      const text = "naïve — 東京 😀 \u0000 \"quoted\" \\ tab\t\n".repeat(60_000)
      const bytes = new Uint8Array([...encoder.encode(text), 0xff, 0xc3])
      // Cut every 7 bytes, and at 1 MiB + 64 KiB where the first cut is tried: characters split every way.
      const { json, ref } = yield* streamed(every(bytes, 7))
      const whole = decoder.decode(bytes)
      expect(json).toBe(atSave(whole).json)
      expect(ref).toEqual(atSave(whole).ref)
    }), 30_000)

  it.effect("a secret across the redactor's cut, and across every read, is redacted as in one string", () =>
    Effect.gen(function*() {
      const secret = "s3cr3t-t0ken-value-0123456789"
      const rules: Redaction.Rules = { values: [secret, secret.toUpperCase()] }
      // A secret exactly across the first cut tried (held text less the window), and one across each 4 KiB read.
      const firstCut = SEGMENT
      const filler = "a".repeat(firstCut - 10) + secret + "b".repeat(WINDOW + 5000)
      const reads = Array.from({ length: 300 }, (_, i) =>
        "c".repeat(4096 - secret.length) + (i % 2 === 0 ? secret : secret.toUpperCase()))
      const text = filler + reads.join("")
      const bytes = encoder.encode(text)
      const pieces = [bytes.subarray(0, SEGMENT + WINDOW), ...every(bytes.subarray(SEGMENT + WINDOW), 4096 - 7)]
      const { json, ref } = yield* streamed(pieces, rules)
      expect(json.includes(secret) || json.includes(secret.toUpperCase())).toBe(false)
      expect(json).toBe(atSave(text, rules).json)
      expect(ref).toEqual(atSave(text, rules).ref)
    }), 30_000)

  it.effect("patterns and URL passwords across reads are redacted too", () =>
    Effect.gen(function*() {
      const rules: Redaction.Rules = { patterns: ["tok_[a-z0-9]{24}"], urlCredentials: true }
      const line = (i: number) =>
        `${".".repeat(3000)} tok_${"k".repeat(20)}${String(1000 + i)} postgres://app:pa55-${i}@db.local/x\n`
      const text = Array.from({ length: 1500 }, (_, i) => line(i)).join("")
      const { json } = yield* streamed(every(encoder.encode(text), 1009), rules)
      expect(/tok_k|pa55-/.test(json)).toBe(false)
      expect(json).toBe(atSave(text, rules).json)
    }), 30_000)

  it.effect("short secrets back to back for megabytes are each redacted, the cuts falling between them", () =>
    Effect.gen(function*() {
      const secret = "0123456789abcdefghij"
      const text = `${"ok\n".repeat(10)}${secret.repeat(600_000)}tail`
      const { json } = yield* streamed(every(encoder.encode(text), 65_536), { values: [secret] })
      expect(json).toBe(atSave(text, { values: [secret] }).json)
    }), 60_000)

  it.effect("with no cut found for 8 MiB (long secrets back to back), the rest is withheld: no secret is cut", () =>
    Effect.gen(function*() {
      // 4 KiB secrets, every cut tried (a multiple of 64 KiB) falling 2 KiB into one, far from where one ends.
      const secret = Array.from({ length: 256 }, (_, i) => (i * 7919).toString(36).padStart(16, "s").slice(-16))
        .join("")
      expect(secret.length).toBe(4096)
      const text = "o".repeat(2048) + secret.repeat(2600)
      const { json } = yield* streamed(every(encoder.encode(text), 65_536), { values: [secret] })
      expect(JSON.parse(json)).toBe(Redaction.REDACTED)
    }), 60_000)

  it.effect("the store's capture mode decides: preview and none write nothing", () =>
    Effect.gen(function*() {
      for (const mode of ["preview", "none"] as const) {
        const blobs = new Map<string, Uint8Array>()
        const ref = yield* BlobSink.captureText(Stream.make(encoder.encode("y".repeat(5000))), { maxInMemoryBytes: 10 })
          .pipe(Effect.provide(BlobSink.layerMemory(blobs, { mode })))
        const { ref: saved } = atSave("y".repeat(5000))
        expect(ref).toEqual(
          mode === "preview"
            ? { $omitted: saved.$blob, bytes: saved.bytes, preview: saved.preview }
            : { $omitted: saved.$blob, bytes: saved.bytes }
        )
        expect(blobs.size).toBe(0)
      }
    }))

  it.effect("a rule that would redact the reference itself (a pattern matching hashes) leaves a note, no blob", () =>
    Effect.gen(function*() {
      const blobs = new Map<string, Uint8Array>()
      const rules = Redaction.layer({ patterns: ["[0-9a-f]{64}"] })
      const captured = yield* BlobSink.captureText(Stream.make(encoder.encode("h".repeat(5000))), { maxInMemoryBytes: 10 })
        .pipe(Effect.provide(Layer.merge(BlobSink.layerMemory(blobs), rules)))
      expect(captured).toBe(
        `${"h".repeat(256)}... [5002 bytes not kept: a redaction rule matches the sha256 that would name them]`
      )
      expect(blobs.size).toBe(0)
    }))

  it.effect("layerFrom gives a run the sink of a store's services, when the store has one", () =>
    Effect.gen(function*() {
      const sink = BlobSink.makeMemory()
      const found = yield* Effect.serviceOption(BlobSink.BlobSink).pipe(
        Effect.provide(BlobSink.layerFrom(Context.make(BlobSink.BlobSink, sink)))
      )
      expect(Option.getOrUndefined(found)).toBe(sink)
      const none = yield* Effect.serviceOption(BlobSink.BlobSink).pipe(Effect.provide(BlobSink.layerFrom(Context.empty())))
      expect(Option.isNone(none)).toBe(true)
    }))

  it.effect("capture mode none keeps a streamed reference's hash and size at save time", () =>
    Effect.gen(function*() {
      const capturer = Payload.make({ mode: "none" })
      const ref = { $blob: `sha256:${"a".repeat(64)}`, bytes: 123_456, preview: "abc" }
      const omitted = { $omitted: `sha256:${"b".repeat(64)}`, bytes: 654_321, preview: "def" }
      const { entries } = yield* capturer.entries([{
        _tag: "ToolCall",
        nodeId: "n",
        toolCall: {
          toolName: "shell",
          inputs: {},
          outputs: { stdout: ref, stderr: omitted },
          durationSeconds: 1,
          success: true,
          error: null,
          timestamp: 0
        }
      }])
      const call = entries[0]!
      expect(call._tag === "ToolCall" && call.toolCall.outputs).toEqual({
        stdout: { $omitted: ref.$blob, bytes: 123_456 },
        stderr: { $omitted: omitted.$omitted, bytes: 654_321 }
      })
    }))
})
