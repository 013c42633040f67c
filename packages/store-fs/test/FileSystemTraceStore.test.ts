import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { sampleTrace, testTraceStore } from "@victor/core/testing/TraceStoreContract"
import * as TraceJson from "@victor/core/TraceJson"
import type * as StoreServices from "@victor/core/StoreServices"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const isRoot = typeof process.getuid === "function" && process.getuid() === 0

/** A fresh temp directory for the test, removed afterwards. */
const tempDirectory = Effect.flatMap(
  FileSystem.FileSystem,
  (fs) => fs.makeTempDirectoryScoped({ prefix: "victor-store-" })
)

testTraceStore("file system", () =>
  Layer.unwrapScoped(
    Effect.map(tempDirectory, (dir) => FileSystemTraceStore.layer({ directory: NodePath.join(dir, "traces") }))
  ).pipe(Layer.provide(NodeContext.layer)), ["journals", "blobs", "nodeFacts", "pruning"])

/** Runs a test against a store on `{fresh temp dir}/traces` (not created yet), with warnings captured. */
const withStore = <A, E>(
  test: (
    store: StoreServices.CompleteStore,
    directory: string,
    warnings: ReadonlyArray<string>
  ) => Effect.Effect<A, E, FileSystem.FileSystem | Path.Path>
) =>
  Effect.gen(function*() {
    const directory = NodePath.join(yield* tempDirectory, "traces")
    const store = yield* FileSystemTraceStore.make({ directory })
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    return yield* test(store, directory, warnings).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

const modeOf = (path: string) => NodeFs.statSync(path).mode & 0o777

const bigTrace = (count: number, overrides: Partial<WorkflowTrace.WorkflowTrace> = {}) => {
  const node = sampleTrace().nodes[0]!
  return sampleTrace({
    traceId: "big",
    nodes: Array.from({ length: count }, (_, i) => ({ ...node, nodeId: `node_${i}` })),
    ...overrides
  })
}

describe("FileSystemTraceStore", () => {
  it.effect("saves {workflow}_{id}.json (0600) in a directory it creates (0700), leaving no temp file", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        expect(NodeFs.existsSync(directory)).toBe(false)
        const trace = sampleTrace({ workflowName: "code review/v2" })
        yield* store.save(trace)
        expect(NodeFs.readdirSync(directory)).toEqual(["code_review_v2_trace-1.json"])
        const file = NodePath.join(directory, "code_review_v2_trace-1.json")
        expect(modeOf(directory)).toBe(0o700)
        expect(modeOf(file)).toBe(0o600)
        expect(NodeFs.readFileSync(file, "utf8")).toBe(TraceJson.encodeToString(trace))
      })
    ))

  it.effect("keeps one file per id when a trace is saved again under another workflow name", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        yield* store.save(sampleTrace({ workflowName: "old" }))
        yield* store.save(sampleTrace({ workflowName: "new" }))
        expect(NodeFs.readdirSync(directory)).toEqual(["new_trace-1.json"])
        expect((yield* store.get("trace-1")).workflowName).toBe("new")
      })
    ))

  it.effect("tells apart ids where one ends with _{other}", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        yield* store.save(sampleTrace({ traceId: "a_b", workflowName: "wf" }))
        yield* store.save(sampleTrace({ traceId: "b", workflowName: "wf" }))
        expect(NodeFs.readdirSync(directory).sort()).toEqual(["wf_a_b.json", "wf_b.json"])
        expect((yield* store.get("b")).traceId).toBe("b")
        expect((yield* store.get("a_b")).traceId).toBe("a_b")
        yield* store.remove("b")
        expect(NodeFs.readdirSync(directory)).toEqual(["wf_a_b.json"])
        expect((yield* Effect.flip(store.get("b"))).reason).toBe("NotFound")
      })
    ))

  it.effect("streams and reads back a 20,000-node trace", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        const trace = bigTrace(20_000)
        yield* store.save(trace)
        expect(yield* store.get("big")).toEqual(trace)
        expect(NodeFs.readdirSync(directory)).toEqual(["review_big.json"])
      })
    ), 60_000)

  it.effect("a failed save leaves neither a temp file nor a partial file", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        // The unencodable value sits in the last node, so several batches are written before the failure.
        const trace = bigTrace(5_000)
        const nodes = [...trace.nodes]
        nodes[nodes.length - 1] = { ...nodes[nodes.length - 1]!, outputs: { n: 1n } }
        const error = yield* Effect.flip(store.save({ ...trace, nodes }))
        expect(error.reason).toBe("Corrupt")
        expect(error.message).toContain("review_big.json")
        expect(NodeFs.readdirSync(directory)).toEqual([])
      })
    ))

  it.effect("lists an empty history when the directory does not exist, without creating it", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        expect(yield* store.list()).toEqual([])
        expect((yield* Effect.flip(store.get("trace-1"))).reason).toBe("NotFound")
        expect((yield* Effect.flip(store.remove("trace-1"))).reason).toBe("NotFound")
        expect(NodeFs.existsSync(directory)).toBe(false)
      })
    ))

  it.effect("skips corrupt and foreign files in list, with one warning each naming the file", () =>
    withStore((store, directory, warnings) =>
      Effect.gen(function*() {
        yield* store.save(sampleTrace())
        const corrupt = NodePath.join(directory, "review_broken.json")
        const foreign = NodePath.join(directory, "package.json")
        const badField = NodePath.join(directory, "review_bad.json")
        NodeFs.writeFileSync(corrupt, "{\"trace_id\": \"broken\",\n  \"nodes\": [")
        NodeFs.writeFileSync(foreign, JSON.stringify({ name: "not-a-trace", version: "1.0.0" }))
        NodeFs.writeFileSync(
          badField,
          JSON.stringify({
            trace_id: "bad",
            workflow_name: "review",
            start_time: 1,
            nodes: [{ node_id: "x", success: 1 }]
          })
        )
        NodeFs.writeFileSync(NodePath.join(directory, "notes.txt"), "ignored")
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["trace-1"])
        expect(warnings).toHaveLength(3)
        for (const file of [corrupt, foreign, badField]) {
          expect(warnings.filter((w) => w.includes(file))).toHaveLength(1)
        }
      })
    ))

  it.effect("get of a corrupt file fails with Corrupt naming the file and where it breaks", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        NodeFs.mkdirSync(directory)
        const corrupt = NodePath.join(directory, "review_broken.json")
        NodeFs.writeFileSync(corrupt, "{\"trace_id\": \"broken\",\n  \"nodes\": [}")
        const error = yield* Effect.flip(store.get("broken"))
        expect(error).toMatchObject({ _tag: "TraceStoreError", reason: "Corrupt", path: corrupt })
        expect(error.message).toContain(corrupt)
        expect(error.message).toBe(`trace file ${corrupt} is not valid JSON: unexpected "}" at line 2, column 13`)
        NodeFs.writeFileSync(corrupt, "{\"trace_id\": \"broken\", \"nodes\": [")
        expect((yield* Effect.flip(store.get("broken"))).message).toContain("is not valid JSON: it ends too early")

        const badField = NodePath.join(directory, "review_bad.json")
        NodeFs.writeFileSync(
          badField,
          JSON.stringify({
            trace_id: "bad",
            workflow_name: "review",
            start_time: 1,
            nodes: [{ node_id: "x", node_type: "agent", timestamp: 1, duration_seconds: 1, success: "yes" }]
          })
        )
        const decodeError = yield* Effect.flip(store.get("bad"))
        expect(decodeError).toMatchObject({ reason: "Corrupt", path: badField })
        expect(decodeError.message).toContain(badField)
        expect(decodeError.message).toContain("nodes[0].success")
      })
    ))

  it.effect("an unwritable directory gives an Unavailable error naming the path", () =>
    withStore((_store, directory) =>
      Effect.gen(function*() {
        // A directory below a regular file cannot be created by anyone, root included.
        NodeFs.mkdirSync(directory)
        const file = NodePath.join(directory, "file.txt")
        NodeFs.writeFileSync(file, "not a directory")
        const underFile = yield* FileSystemTraceStore.make({ directory: NodePath.join(file, "sub") })
        const error = yield* Effect.flip(underFile.save(sampleTrace()))
        expect(error).toMatchObject({ reason: "Unavailable", path: NodePath.join(file, "sub") })
        expect(error.message).toBe(`cannot create trace directory ${NodePath.join(file, "sub")}: not a directory`)
        expect((yield* Effect.flip(underFile.list())).reason).toBe("Unavailable")

        if (!isRoot) {
          // Permissions are not enforced for root, so this half only runs as a regular user.
          const readOnly = NodePath.join(directory, "read-only")
          NodeFs.mkdirSync(readOnly, { mode: 0o500 })
          NodeFs.chmodSync(readOnly, 0o500)
          const store = yield* FileSystemTraceStore.make({ directory: readOnly })
          const denied = yield* Effect.flip(store.save(sampleTrace()))
          const target = NodePath.join(readOnly, "review_trace-1.json")
          expect(denied).toMatchObject({ reason: "Unavailable", path: target })
          expect(denied.message).toBe(`cannot write trace to ${target}: permission denied`)
          NodeFs.chmodSync(readOnly, 0o700)
        }
        expect(NodeFs.readdirSync(directory).sort()).toEqual(isRoot ? ["file.txt"] : ["file.txt", "read-only"])
      })
    ))

  it.effect("rejects ids with path syntax before they touch a path", () =>
    withStore((store, directory) =>
      Effect.gen(function*() {
        for (const bad of ["../x", "../../etc/passwd", "a/b", ".hidden", "", "x.json"]) {
          expect((yield* Effect.flip(store.save(sampleTrace({ traceId: bad })))).reason).toBe("InvalidId")
          expect((yield* Effect.flip(store.get(bad))).reason).toBe("InvalidId")
          expect((yield* Effect.flip(store.remove(bad))).reason).toBe("InvalidId")
        }
        expect(NodeFs.existsSync(directory)).toBe(false)
        expect(NodeFs.readdirSync(NodePath.dirname(directory))).toEqual([])
      })
    ))
})
