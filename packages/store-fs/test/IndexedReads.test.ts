import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as NodeFacts from "@victor/core/NodeFacts"
import type * as StoreServices from "@victor/core/StoreServices"
import * as TraceStore from "@victor/core/TraceStore"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

/** What the store asked of the file system: directory listings, and the files it read. */
interface Calls {
  listings: number
  reads: Array<string>
}

/** Node's file system, with the listings and reads the store makes counted. */
const countingFileSystem = (calls: Calls) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (fs) => ({
      ...fs,
      // Counted when run, not when built (the store builds some effects once and runs them often).
      readDirectory: (path: string, options?: FileSystem.ReadDirectoryOptions) =>
        Effect.suspend(() => {
          calls.listings++
          return fs.readDirectory(path, options)
        }),
      readFileString: (path: string, encoding?: string) =>
        Effect.suspend(() => {
          calls.reads.push(NodePath.basename(path))
          return fs.readFileString(path, encoding)
        })
    }))
  ).pipe(Layer.provide(NodeContext.layer))

/** Runs a test with a fresh temp directory and a function opening a counted store on it (like a new process). */
const withDirectory = <A, E>(
  test: (directory: string, open: () => Effect.Effect<{ store: StoreServices.CompleteStore; calls: Calls }>) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const directory = NodePath.join(yield* fs.makeTempDirectoryScoped({ prefix: "victor-index-" }), "traces")
    const open = () => {
      const calls: Calls = { listings: 0, reads: [] }
      return Effect.map(
        FileSystemTraceStore.make({ directory }).pipe(
          Effect.provide(countingFileSystem(calls)),
          Effect.provide(NodeContext.layer)
        ),
        (store) => ({ store, calls })
      )
    }
    return yield* test(directory, open)
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

const traces = Array.from({ length: 5 }, (_, i) =>
  sampleTrace({
    traceId: `t-${i}`,
    workflowName: i % 2 === 0 ? "even" : "odd",
    startTime: 1_700_000_000 + i,
    status: i === 3 ? "failed" : "succeeded",
    nodes: [
      { ...sampleTrace().nodes[0]!, nodeId: "a", durationSeconds: i },
      { ...sampleTrace().nodes[0]!, nodeId: "b", success: i !== 3, error: i === 3 ? "boom" : null, metadata: { iteration: 1 } }
    ]
  }))

const indexLines = (directory: string) =>
  NodeFs.readFileSync(NodePath.join(directory, ".index.jsonl"), "utf8").trimEnd().split("\n")

const factsLines = (directory: string) =>
  NodeFs.readFileSync(NodePath.join(directory, ".facts.jsonl"), "utf8").split("\n").filter((line) => line.length > 0)

describe("FileSystemTraceStore reads through its index", () => {
  it.effect("get reads the one file the index names, without listing the directory", () =>
    withDirectory((_directory, open) =>
      Effect.gen(function*() {
        const writer = yield* open()
        for (const trace of traces) yield* writer.store.save(trace)
        yield* writer.store.list()

        // A fresh store (another process) learns the files from the index.
        const { calls, store } = yield* open()
        for (const trace of traces) expect(yield* store.get(trace.traceId)).toEqual(trace)
        expect(calls.listings).toBe(0)
        expect(calls.reads.filter((r) => r !== ".index.jsonl").sort()).toEqual(
          traces.map((t) => `${t.workflowName}_${t.traceId}.json`).sort()
        )
        // An id the index does not know is looked for the slow way, and is still not found.
        expect((yield* Effect.flip(store.get("nope"))).reason).toBe("NotFound")
        expect(calls.listings).toBeGreaterThan(0)
      })
    ))

  it.effect("list lists the directory once and reads only the index, not the facts file", () =>
    withDirectory((_directory, open) =>
      Effect.gen(function*() {
        const writer = yield* open()
        for (const trace of traces) yield* writer.store.save(trace)
        yield* writer.store.list()
        yield* writer.store.listNodeFacts()

        const { calls, store } = yield* open()
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(traces.map((t) => t.traceId))
        expect(calls.listings).toBe(1)
        expect(calls.reads).toEqual([".index.jsonl"])
      })
    ))

  it.effect("get still finds a trace when the index points at a file that is gone or was replaced", () =>
    withDirectory((directory, open) =>
      Effect.gen(function*() {
        const { store } = yield* open()
        yield* store.save(traces[0]!)
        yield* store.list()
        // The trace moves to another file behind the store's back (another process, without the index).
        NodeFs.renameSync(NodePath.join(directory, "even_t-0.json"), NodePath.join(directory, "moved_t-0.json"))
        expect(yield* store.get("t-0")).toEqual(traces[0])
        // And a file the index names now holds another trace.
        NodeFs.writeFileSync(
          NodePath.join(directory, "moved_t-0.json"),
          JSON.stringify({ trace_id: "other", workflow_name: "x", start_time: 1 })
        )
        NodeFs.writeFileSync(
          NodePath.join(directory, "late_t-0.json"),
          JSON.stringify({ trace_id: "t-0", workflow_name: "late", start_time: 1 })
        )
        expect((yield* store.get("t-0")).workflowName).toBe("late")
      })
    ))

  it.effect("listNodeFacts reads only the index and the facts file when they are up to date", () =>
    withDirectory((_directory, open) =>
      Effect.gen(function*() {
        const writer = yield* open()
        yield* writer.store.save(traces[0]!)
        yield* writer.store.list()
        yield* writer.store.listNodeFacts()
        // Saves append to both.
        for (const trace of traces.slice(1)) yield* writer.store.save(trace)

        const { calls, store } = yield* open()
        const facts = yield* store.listNodeFacts()
        expect(facts).toEqual(traces.map(NodeFacts.factsOf))
        expect(calls.reads.sort()).toEqual([".facts.jsonl", ".index.jsonl"])
        expect(yield* store.listNodeFacts({ workflowName: "odd", status: "failed" })).toEqual([NodeFacts.factsOf(traces[3]!)])
      })
    ))

  it.effect("a store without node facts (no facts file yet) is completed from the files, once", () =>
    withDirectory((directory, open) =>
      Effect.gen(function*() {
        const writer = yield* open()
        for (const trace of traces) yield* writer.store.save(trace)
        yield* writer.store.list()
        expect(NodeFs.existsSync(NodePath.join(directory, ".facts.jsonl"))).toBe(false)

        const first = yield* open()
        expect(yield* first.store.listNodeFacts()).toEqual(traces.map(NodeFacts.factsOf))
        expect(first.calls.reads.filter((r) => !r.startsWith("."))).toHaveLength(traces.length)

        const second = yield* open()
        expect(yield* second.store.listNodeFacts()).toEqual(traces.map(NodeFacts.factsOf))
        expect(second.calls.reads.sort()).toEqual([".facts.jsonl", ".index.jsonl"])
      })
    ))

  it.effect("an index of an older version, with node facts in its lines, hands them to the facts file", () =>
    withDirectory((directory, open) =>
      Effect.gen(function*() {
        const writer = yield* open()
        for (const trace of traces) yield* writer.store.save(trace)
        yield* writer.store.list()
        yield* writer.store.listNodeFacts()
        // The index as the older version wrote it: each line with its facts, and no facts file.
        const facts = factsLines(directory).map((line) => JSON.parse(line) as { file: string; nodes: unknown })
        const legacy = indexLines(directory).map((line) => {
          const entry = JSON.parse(line) as { file: string }
          return JSON.stringify({ ...entry, nodes: facts.find((f) => f.file === entry.file)!.nodes })
        })
        NodeFs.writeFileSync(NodePath.join(directory, ".index.jsonl"), legacy.join("\n") + "\n")
        NodeFs.rmSync(NodePath.join(directory, ".facts.jsonl"))

        const first = yield* open()
        expect((yield* first.store.list()).map((s) => s.traceId)).toEqual(traces.map((t) => t.traceId))
        expect(indexLines(directory).some((line) => line.includes("\"nodes\""))).toBe(false)
        expect(factsLines(directory)).toHaveLength(traces.length)

        const second = yield* open()
        expect(yield* second.store.listNodeFacts()).toEqual(traces.map(NodeFacts.factsOf))
        expect(second.calls.reads.sort()).toEqual([".facts.jsonl", ".index.jsonl"])
      })
    ))

  it.effect("facts taken from an older version of a file are not used; a broken facts file is written anew", () =>
    withDirectory((directory, open) =>
      Effect.gen(function*() {
        const writer = yield* open()
        for (const trace of traces) yield* writer.store.save(trace)
        yield* writer.store.list()
        yield* writer.store.listNodeFacts()
        // A file edited in place: same name, other content (a node renamed, the size kept).
        const file = NodePath.join(directory, "odd_t-1.json")
        NodeFs.writeFileSync(file, NodeFs.readFileSync(file, "utf8").replace("\"node_id\": \"a\"", "\"node_id\": \"z\""))
        const future = new Date(Date.now() + 5_000)
        NodeFs.utimesSync(file, future, future)
        const edited = { ...traces[1]!, nodes: traces[1]!.nodes.map((n) => (n.nodeId === "a" ? { ...n, nodeId: "z" } : n)) }

        const { calls, store } = yield* open()
        const expected = traces.map((t) => NodeFacts.factsOf(t.traceId === "t-1" ? edited : t))
        expect(yield* store.listNodeFacts()).toEqual(expected)
        expect(calls.reads.filter((r) => !r.startsWith("."))).toEqual(["odd_t-1.json"])

        NodeFs.appendFileSync(NodePath.join(directory, ".facts.jsonl"), "{broken\n")
        const again = yield* open()
        expect(yield* again.store.listNodeFacts()).toEqual(expected)
        expect(again.calls.reads.filter((r) => !r.startsWith("."))).toEqual([])
        expect(factsLines(directory)).toHaveLength(traces.length)
        expect(factsLines(directory).some((line) => line.includes("broken"))).toBe(false)
      })
    ))

  it.effect("a trace too large for the index has its facts read from its file", () =>
    withDirectory((directory, open) =>
      Effect.gen(function*() {
        const node = sampleTrace().nodes[0]!
        const big = sampleTrace({
          traceId: "big",
          nodes: Array.from({ length: 1001 }, (_, i) => ({ ...node, nodeId: `n${i}`, success: i !== 500, error: i === 500 ? "x" : null }))
        })
        const { calls, store } = yield* open()
        yield* store.save(big)
        expect(yield* store.listNodeFacts()).toEqual([NodeFacts.factsOf(big)])
        expect(calls.reads).toContain("review_big.json")
        expect(factsLines(directory)).toEqual([])
      })
    ))
})
