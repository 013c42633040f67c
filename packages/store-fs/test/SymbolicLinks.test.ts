// The store trusts no link: a symbolic link planted where it expects one of its files is never read or written
// through, whatever kind of file it stands for. Runs on the portable `NoFollowFileSystem` (the store's fallback over
// `NodeContext`); the CLI's hostile tests run the same cases through Node's `O_NOFOLLOW` edge.
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Journal from "@victor/core/Journal"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as TraceJson from "@victor/core/TraceJson"
import type * as StoreServices from "@victor/core/StoreServices"
import type * as TraceStore from "@victor/core/TraceStore"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const tempDirectory = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "victor-links-" }))

/** A file outside the store that nothing may touch: its bytes, mode and mtime are checked by `intact`. */
const plantVictim = (dir: string, text: string, name = "victim.txt") => {
  const file = NodePath.join(dir, name)
  NodeFs.writeFileSync(file, text, { mode: 0o644 })
  NodeFs.chmodSync(file, 0o644)
  const past = new Date(Date.now() - 3_600_000)
  NodeFs.utimesSync(file, past, past)
  const before = NodeFs.lstatSync(file)
  return {
    file,
    intact: () => {
      const now = NodeFs.lstatSync(file)
      expect(now.isFile(), `${file} is still a regular file`).toBe(true)
      expect(NodeFs.readFileSync(file, "utf8")).toBe(text)
      expect(now.mode & 0o7777).toBe(before.mode & 0o7777)
      expect(now.mtimeMs).toBe(before.mtimeMs)
    }
  }
}

interface Setup {
  readonly root: string
  readonly directory: string
  readonly warnings: Array<string>
  readonly makeStore: () => Effect.Effect<StoreServices.CompleteStore, never, FileSystem.FileSystem | Path.Path>
}

/** A store on `{temp}/traces` (created 0700 up front, so that links can be planted in it), warnings captured. */
const withLinks = <A, E>(test: (setup: Setup) => Effect.Effect<A, E, FileSystem.FileSystem | Path.Path>) =>
  Effect.gen(function*() {
    const root = yield* tempDirectory
    const directory = NodePath.join(root, "traces")
    NodeFs.mkdirSync(directory, { mode: 0o700 })
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const makeStore = () =>
      FileSystemTraceStore.make({
        directory,
        owner: { pid: process.pid, host: "test-host" },
        isProcessAlive: (pid) => pid === process.pid,
        ...(typeof process.getuid === "function" ? { userId: process.getuid() } : {})
      })
    return yield* test({ root, directory, warnings, makeStore }).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    )
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

const isLink = (path: string) => NodeFs.lstatSync(path).isSymbolicLink()
const modeOf = (path: string) => NodeFs.lstatSync(path).mode & 0o777

const big = "x".repeat(200_000)
const bigSha = createHash("sha256").update(JSON.stringify(big)).digest("hex")
const withOutput = (traceId: string, output: string) => {
  const base = sampleTrace({ traceId })
  const node = base.nodes[0]!
  return sampleTrace({
    traceId,
    nodes: [{ ...node, toolCalls: [{ ...node.toolCalls[0]!, outputs: { stdout: output } }] }]
  })
}

describe("FileSystemTraceStore follows no symbolic link", () => {
  it.effect("the index: never appended to through a link; the next list replaces the link with a real index", () =>
    withLinks(({ directory, makeStore, root, warnings }) =>
      Effect.gen(function*() {
        const victim = plantVictim(root, "root:x:0:0\n")
        const index = NodePath.join(directory, ".index.jsonl")
        NodeFs.symlinkSync(victim.file, index)
        const store = yield* makeStore()
        yield* store.save(sampleTrace({ traceId: "a" }))
        victim.intact()
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["a"])
        victim.intact()
        expect(warnings).toEqual([`replacing ${index}: it is a symbolic link, which the store does not follow`])
        expect(isLink(index)).toBe(false)
        expect(modeOf(index)).toBe(0o600)
        expect(NodeFs.readFileSync(index, "utf8")).toContain("\"trace_id\":\"a\"")
        // A dangling link is not created through either.
        NodeFs.rmSync(index)
        const absent = NodePath.join(root, "absent.txt")
        NodeFs.symlinkSync(absent, index)
        yield* store.save(sampleTrace({ traceId: "b" }))
        yield* (yield* makeStore()).list()
        expect(NodeFs.existsSync(absent)).toBe(false)
        expect(isLink(index)).toBe(false)
      })
    ))

  it.effect("the facts file: stats never write through a link; it is replaced by a real file", () =>
    withLinks(({ directory, makeStore, root, warnings }) =>
      Effect.gen(function*() {
        const victim = plantVictim(root, "precious\n")
        const facts = NodePath.join(directory, ".facts.jsonl")
        const store = yield* makeStore()
        yield* store.save(sampleTrace({ traceId: "a" }))
        NodeFs.symlinkSync(victim.file, facts)
        expect((yield* store.listNodeFacts()).map((f) => f.traceId)).toEqual(["a"])
        victim.intact()
        yield* store.save(sampleTrace({ traceId: "b" }))
        expect((yield* store.listNodeFacts()).map((f) => f.traceId)).toEqual(["a", "b"])
        victim.intact()
        expect(warnings).toEqual([`replacing ${facts}: it is a symbolic link, which the store does not follow`])
        expect(isLink(facts)).toBe(false)
        expect(modeOf(facts)).toBe(0o600)
      })
    ))

  it.effect("a trace file: a link to a valid trace elsewhere is skipped (one warning), get refuses it, save replaces it", () =>
    withLinks(({ directory, makeStore, root, warnings }) =>
      Effect.gen(function*() {
        const outside = TraceJson.encodeToString(sampleTrace({ traceId: "t" }))
        const victim = plantVictim(root, outside, "elsewhere.json")
        const link = NodePath.join(directory, "review_t.json")
        NodeFs.symlinkSync(victim.file, link)
        const store = yield* makeStore()
        expect(yield* store.list()).toEqual([])
        expect(warnings).toEqual([`skipping ${link}: is a symbolic link, which the store does not follow`])
        const refused = yield* Effect.flip(store.get("t"))
        expect(refused).toMatchObject({ reason: "Insecure", path: link })
        expect(refused.message).toBe(`trace file ${link} is a symbolic link, which the store does not follow`)
        victim.intact()
        // Saving the trace of that name puts a real file in place of the link.
        yield* store.save(sampleTrace({ traceId: "t", workflowName: "review", status: "failed" }))
        victim.intact()
        expect(isLink(link)).toBe(false)
        expect(modeOf(link)).toBe(0o600)
        expect((yield* (yield* makeStore()).get("t")).status).toBe("failed")
      })
    ))

  it.effect("a journal: a link is skipped (never claimed, touched or recovered); a new journal replaces one", () =>
    withLinks(({ directory, makeStore, root, warnings }) =>
      Effect.gen(function*() {
        // The victim holds a valid journal of a dead run: following the link would recover (and remove) it.
        const header = Journal.headerOf({ ...sampleTrace(), traceId: "dead", startTime: 100 })
        const text = Journal.encodeHeader(header, { pid: 2 ** 22 + 1, host: "test-host" }) + "\n"
        const victim = plantVictim(root, text, "journal.jsonl")
        const link = NodePath.join(directory, "review_dead.jsonl")
        NodeFs.symlinkSync(victim.file, link)
        const store = yield* makeStore()
        expect(yield* store.list()).toEqual([])
        expect(yield* store.recover).toEqual([])
        victim.intact()
        expect(isLink(link)).toBe(true)
        expect(warnings[0]).toBe(`skipping ${link}: journal ${link} is a symbolic link, which the store does not follow`)

        const other = plantVictim(root, "other\n", "other.txt")
        const running = NodePath.join(directory, "review_run-2.jsonl")
        NodeFs.symlinkSync(other.file, running)
        const journal = yield* store.begin(Journal.headerOf({ ...sampleTrace(), traceId: "run-2" }))
        expect(isLink(running)).toBe(false)
        expect(modeOf(running)).toBe(0o600)
        yield* journal.finish(sampleTrace({ traceId: "run-2" }))
        other.intact()
        victim.intact()
      })
    ))

  it.effect("the blob directory: a link is neither listed nor pruned through nor read from; a write replaces it", () =>
    withLinks(({ directory, makeStore, root, warnings }) =>
      Effect.gen(function*() {
        const elsewhere = NodePath.join(root, "elsewhere")
        NodeFs.mkdirSync(elsewhere)
        const victim = plantVictim(elsewhere, "\"not yours\"", bigSha)
        const blobs = NodePath.join(directory, "blobs")
        NodeFs.symlinkSync(elsewhere, blobs)
        const store = yield* makeStore()
        const pruned = yield* store.prune({})
        expect(pruned.blobsRemoved).toBe(0)
        expect(warnings).toEqual([`skipping ${blobs}: it is not a real directory (a link?)`])
        expect((yield* Effect.flip(store.readBlob(bigSha))).reason).toBe("Insecure")
        victim.intact()
        yield* store.save(withOutput("a", big))
        expect(isLink(blobs)).toBe(false)
        expect(modeOf(blobs)).toBe(0o700)
        expect(NodeFs.readdirSync(blobs)).toEqual([bigSha])
        expect(yield* store.readBlob(bigSha)).toBe(JSON.stringify(big))
        expect(NodeFs.readdirSync(elsewhere)).toEqual([bigSha])
        victim.intact()
      })
    ))

  it.effect("a blob: a link is not read, not touched, and replaced by the real blob when written", () =>
    withLinks(({ directory, makeStore, root }) =>
      Effect.gen(function*() {
        const victim = plantVictim(root, "\"secret\"")
        const blobs = NodePath.join(directory, "blobs")
        NodeFs.mkdirSync(blobs, { mode: 0o700 })
        const link = NodePath.join(blobs, bigSha)
        NodeFs.symlinkSync(victim.file, link)
        const store = yield* makeStore()
        const refused = yield* Effect.flip(store.readBlob(bigSha))
        expect(refused).toMatchObject({ reason: "Insecure", path: link })
        yield* store.save(withOutput("a", big))
        victim.intact()
        expect(isLink(link)).toBe(false)
        expect(modeOf(link)).toBe(0o600)
        expect(yield* store.readBlob(bigSha)).toBe(JSON.stringify(big))
        yield* store.remove("a")
        expect((yield* store.prune({})).blobsRemoved).toBe(1)
        victim.intact()
      })
    ))

  it.effect("the store directory itself: a link to a directory is refused with the path to use, nothing written", () =>
    withLinks(({ root }) =>
      Effect.gen(function*() {
        const real = NodePath.join(root, "real")
        NodeFs.mkdirSync(real, { mode: 0o700 })
        const linked = NodePath.join(root, "linked")
        NodeFs.symlinkSync(real, linked)
        const store = yield* FileSystemTraceStore.make({ directory: linked })
        for (const error of [yield* Effect.flip(store.save(sampleTrace())), yield* Effect.flip(store.list())]) {
          expect(error).toMatchObject({ reason: "Insecure", path: linked })
          expect(error.message).toBe(
            `trace directory ${linked} is a symbolic link to ${real}, which the store does not follow: ` +
              `use the directory itself (--trace-dir ${real})`
          )
        }
        expect(NodeFs.readdirSync(real)).toEqual([])
      })
    ))

  const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0
  it.effect.runIf(hasMkfifo)("a FIFO where a trace or the index should be never makes a read wait", () =>
    withLinks(({ directory, makeStore, warnings }) =>
      Effect.gen(function*() {
        const fifo = NodePath.join(directory, "review_f.json")
        expect(spawnSync("mkfifo", [fifo]).status).toBe(0)
        const store = yield* makeStore()
        yield* store.save(sampleTrace({ traceId: "a" }))
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["a"])
        expect(warnings).toEqual([`skipping ${fifo}: is not a regular file (FIFO)`])
        expect(yield* Effect.flip(store.get("f"))).toMatchObject({ reason: "Insecure", path: fifo })
      })
    ))
})
