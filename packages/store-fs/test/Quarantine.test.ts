// Nothing stray: what can never be used in a store directory — a corrupt trace file, an empty journal, a temp file a
// dead run left behind — is recovered (a complete trace put in place) or moved to `quarantine/` with a reason,
// warned about once, named by `get`, counted and removed by `prune`; a live run's temp file is left alone.
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Journal from "@victor/core/Journal"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as TraceJson from "@victor/core/TraceJson"
import type * as StoreServices from "@victor/core/StoreServices"
import * as TraceStore from "@victor/core/TraceStore"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const tempDirectory = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "victor-quarantine-" }))

const self = { pid: process.pid, host: "test-host" }
const deadPid = 2 ** 22 + 4242
const livePid = 2 ** 22 + 7777

// The on-disk name of a temp file: `.{name}.{12 hex}.{pid}-{host tag}.tmp`, the tag an FNV-1a hash of the host.
const hostTag = (host: string) => {
  let hash = 0x811c9dc5
  for (let i = 0; i < host.length; i++) hash = Math.imul(hash ^ host.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(16).padStart(8, "0")
}
const tempName = (name: string, pid?: number) =>
  `.${name}.0123456789ab${pid === undefined ? "" : `.${pid}-${hostTag(self.host)}`}.tmp`

const hoursAgo = (file: string, hours: number) => {
  const then = new Date(Date.now() - hours * 3_600_000)
  NodeFs.utimesSync(file, then, then)
}

/** A store on a fresh directory (pids other than `livePid` and this one are dead), with warnings captured. */
const withStore = <A, E>(
  test: (
    store: StoreServices.CompleteStore,
    directory: string,
    warnings: ReadonlyArray<string>
  ) => Effect.Effect<A, E, FileSystem.FileSystem | Path.Path>,
  options: Partial<FileSystemTraceStore.Options> = {}
) =>
  Effect.gen(function*() {
    const directory = NodePath.join(yield* tempDirectory, "traces")
    const store = yield* FileSystemTraceStore.make({
      directory,
      owner: self,
      isProcessAlive: (pid) => pid === process.pid || pid === livePid,
      ...options
    })
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    return yield* test(store, directory, warnings).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

const quarantined = (directory: string) => NodeFs.readdirSync(NodePath.join(directory, "quarantine")).sort()
const reasonOf = (directory: string, name: string) =>
  NodeFs.readFileSync(NodePath.join(directory, "quarantine", `${name}.reason`), "utf8")

describe("FileSystemTraceStore quarantine", () => {
  it.live("a corrupt trace file is moved to quarantine/ with its reason, warned about once, and named by get", () =>
    withStore((store, directory, warnings) =>
      Effect.gen(function*() {
        yield* store.save(sampleTrace())
        const corrupt = NodePath.join(directory, "review_broken.json")
        NodeFs.writeFileSync(corrupt, "{\"trace_id\": \"broken\",\n  \"nodes\": [}")
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["trace-1"])
        expect((yield* store.listNodeFacts()).map((s) => s.traceId)).toEqual(["trace-1"])
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["trace-1"])
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain(corrupt)
        expect(warnings[0]).toContain("is not valid JSON: unexpected \"}\" at line 2, column 13")
        expect(NodeFs.existsSync(corrupt)).toBe(false)
        expect(quarantined(directory)).toEqual(["review_broken.json", "review_broken.json.reason"])
        expect(reasonOf(directory, "review_broken.json")).toBe("is not valid JSON: unexpected \"}\" at line 2, column 13\n")
        expect(NodeFs.statSync(NodePath.join(directory, "quarantine")).mode & 0o777).toBe(0o700)

        const error = yield* Effect.flip(store.get("broken"))
        const moved = NodePath.join(directory, "quarantine", "review_broken.json")
        expect(error).toMatchObject({ _tag: "TraceStoreError", reason: "Corrupt", path: moved, traceId: "broken" })
        expect(error.message).toBe(
          `trace file ${moved} is not valid JSON: unexpected "}" at line 2, column 13 ` +
            "(set aside in the quarantine; prune removes it)"
        )
        // A second broken file of the same name keeps the first one.
        NodeFs.writeFileSync(corrupt, "[]")
        yield* store.list()
        expect(quarantined(directory)).toEqual([
          "review_broken.json",
          "review_broken.json.reason",
          "review_broken.json~2",
          "review_broken.json~2.reason"
        ])
        expect(reasonOf(directory, "review_broken.json~2")).toContain("is not a valid trace")
      })
    ))

  it.live("an empty or headerless journal untouched for staleAfter is quarantined; a fresh one is left alone", () =>
    withStore((store, directory, warnings) =>
      Effect.gen(function*() {
        NodeFs.mkdirSync(directory, { recursive: true })
        const empty = NodePath.join(directory, "review_crashed.jsonl")
        const garbage = NodePath.join(directory, "review_garbage.jsonl")
        const fresh = NodePath.join(directory, "review_starting.jsonl")
        NodeFs.writeFileSync(empty, "")
        NodeFs.writeFileSync(garbage, "not a header\n")
        NodeFs.writeFileSync(fresh, "")
        hoursAgo(empty, 1)
        hoursAgo(garbage, 1)
        expect(yield* store.list()).toEqual([])
        expect(yield* store.list()).toEqual([])
        expect(warnings).toHaveLength(2)
        expect(warnings.find((w) => w.includes(empty))).toContain("is an empty journal")
        expect(warnings.find((w) => w.includes(garbage))).toContain("is not a trace journal")
        expect(NodeFs.readdirSync(directory).filter((n) => n.endsWith(".jsonl") && !n.startsWith("."))).toEqual([
          "review_starting.jsonl"
        ])
        expect(reasonOf(directory, "review_crashed.jsonl")).toContain("is an empty journal")
      })
    ))

  it.live("a temp file whose writer is gone: a complete trace is put in place, anything else quarantined", () =>
    withStore((store, directory, warnings) =>
      Effect.gen(function*() {
        NodeFs.mkdirSync(directory, { recursive: true })
        const complete = TraceJson.encodeToString(sampleTrace({ traceId: "killed-at-rename" }))
        // Killed between the write and the rename: the temp file holds the whole trace.
        NodeFs.writeFileSync(NodePath.join(directory, tempName("review_killed-at-rename.json", deadPid)), complete)
        // Killed during the write: half a trace.
        const half = tempName("review_killed-mid-write.json", deadPid)
        NodeFs.writeFileSync(NodePath.join(directory, half), complete.slice(0, 100))
        // A live run's, and one of unknown writer still fresh: left alone.
        const live = tempName("review_writing.json", livePid)
        const unknownFresh = tempName("review_fresh.json")
        NodeFs.writeFileSync(NodePath.join(directory, live), complete.slice(0, 50))
        NodeFs.writeFileSync(NodePath.join(directory, unknownFresh), complete.slice(0, 50))
        // Of unknown writer (an older version's name), untouched for two hours; a cache rewrite's.
        const unknownOld = tempName("review_old.json")
        const cache = tempName(".index.jsonl", deadPid)
        NodeFs.writeFileSync(NodePath.join(directory, unknownOld), "{")
        NodeFs.writeFileSync(NodePath.join(directory, cache), "{}\n")
        hoursAgo(NodePath.join(directory, unknownOld), 2)

        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["killed-at-rename"])
        expect((yield* store.get("killed-at-rename")).status).toBe("succeeded")
        expect(NodeFs.existsSync(NodePath.join(directory, "review_killed-at-rename.json"))).toBe(true)
        const left = NodeFs.readdirSync(directory).filter((n) => n.endsWith(".tmp")).sort()
        expect(left).toEqual([live, unknownFresh].sort())
        expect(quarantined(directory).filter((n) => !n.endsWith(".reason"))).toEqual([cache, half, unknownOld].sort())
        expect(reasonOf(directory, half)).toBe(
          `is an unfinished write of review_killed-mid-write.json (its writer, pid ${deadPid}, is gone): ` +
            "is not valid JSON: it ends too early (is the file truncated?)\n"
        )
        expect(reasonOf(directory, unknownOld)).toContain("(untouched for 2 h)")
        expect(warnings).toHaveLength(3)
        yield* store.list()
        expect(warnings).toHaveLength(3)
      })
    ))

  it.live("a complete temp file replaces what a recovery made of the journal (the run's real trace wins)", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        yield* store.save(sampleTrace({ status: "incomplete" }))
        NodeFs.writeFileSync(
          NodePath.join(directory, tempName("review_trace-1.json", deadPid)),
          TraceJson.encodeToString(sampleTrace())
        )
        yield* store.list()
        expect((yield* store.get("trace-1")).status).toBe("succeeded")
        expect(NodeFs.readdirSync(directory).filter((n) => n.endsWith(".tmp"))).toEqual([])
        expect(NodeFs.existsSync(NodePath.join(directory, "quarantine"))).toBe(false)
      })
    ))

  it.live("prune --dry-run lists every stray with its reason; prune removes them and leaves a clean store", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        yield* store.save(sampleTrace())
        NodeFs.writeFileSync(NodePath.join(directory, "review_broken.json"), "{")
        NodeFs.writeFileSync(NodePath.join(directory, "review_crashed.jsonl"), "")
        hoursAgo(NodePath.join(directory, "review_crashed.jsonl"), 1)
        const blobDirectory = NodePath.join(directory, "blobs")
        NodeFs.mkdirSync(blobDirectory, { mode: 0o700 })
        const blobTemp = tempName("a".repeat(64), deadPid)
        NodeFs.writeFileSync(NodePath.join(blobDirectory, blobTemp), "\"half a blo")

        const dry = yield* store.prune({ dryRun: true })
        const strays = FileSystemTraceStore.straysOf(dry)
        expect(strays.map((s) => NodePath.basename(s.file)).sort()).toEqual(
          [blobTemp, "review_broken.json", "review_crashed.jsonl"].sort()
        )
        expect(strays.find((s) => s.file.endsWith("review_broken.json"))!.reason).toContain("is not valid JSON")
        expect(strays.find((s) => s.file.endsWith(blobTemp))!.reason).toContain(`its writer, pid ${deadPid}, is gone`)
        expect(dry.removed).toEqual([])
        expect(dry.freedBytes).toBe(strays.reduce((sum, s) => sum + s.bytes, 0))
        expect(NodeFs.existsSync(NodePath.join(blobDirectory, blobTemp))).toBe(true)
        expect(quarantined(directory)).toHaveLength(4)

        const done = yield* store.prune({})
        expect(FileSystemTraceStore.straysOf(done)).toHaveLength(3)
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["trace-1"])
        // Only the trace, the caches and the (now empty) blob directory are left.
        const clean = new Set([".facts.jsonl", ".index.jsonl", "blobs", "review_trace-1.json"])
        expect(NodeFs.readdirSync(directory).filter((n) => !clean.has(n))).toEqual([])
        expect(NodeFs.readdirSync(directory)).toContain("review_trace-1.json")
        expect(NodeFs.readdirSync(blobDirectory)).toEqual([])
      })
    ))

  it.live("with --max-size, the strays count and go first: a store within the limit once they are gone keeps its traces", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        yield* store.save(sampleTrace())
        NodeFs.writeFileSync(NodePath.join(directory, "review_huge.json"), "x".repeat(200_000))
        const size = NodeFs.statSync(NodePath.join(directory, "review_trace-1.json")).size
        const result = yield* store.prune({ maxBytes: size + 1000 })
        expect(result.removed).toEqual([])
        expect(result.freedBytes).toBeGreaterThanOrEqual(200_000)
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["trace-1"])
      })
    ))

  it.live("the journal's header keeps no input content with capture none", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        const journal = yield* store.begin(
          Journal.headerOf(sampleTrace({ traceId: "run-1", inputs: { secret: "CANARY-IN-HEADER" } }))
        )
        const text = NodeFs.readFileSync(NodePath.join(directory, "review_run-1.jsonl"), "utf8")
        expect(text).not.toContain("CANARY-IN-HEADER")
        expect(text).toContain("$omitted")
        yield* journal.abandon
      }), { capture: { mode: "none" } }))

  it.effect("layerPrepared checks the directory before the store is used: made 0700, or refused", () =>
    Effect.gen(function*() {
      const root = yield* tempDirectory
      const directory = NodePath.join(root, "new", "traces")
      yield* Effect.provide(TraceStore.TraceStore, FileSystemTraceStore.layerPrepared({ directory }))
      expect(NodeFs.statSync(directory).mode & 0o777).toBe(0o700)
      const blocker = NodePath.join(root, "blocker")
      NodeFs.writeFileSync(blocker, "a file")
      const refused = yield* Effect.flip(
        Effect.provide(TraceStore.TraceStore, FileSystemTraceStore.layerPrepared({ directory: NodePath.join(blocker, "t") }))
      )
      expect(refused).toMatchObject({ reason: "Unavailable", path: NodePath.join(blocker, "t") })
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})
