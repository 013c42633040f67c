import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as EffectSpans from "@victor/core/EffectSpans"
import * as Journal from "@victor/core/Journal"
import * as Payload from "@victor/core/Payload"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as StoreServices from "@victor/core/StoreServices"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const tempDirectory = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "victor-journal-" }))

const self = { pid: process.pid, host: "test-host" }
const deadPid = 2 ** 22 + 12345

/** A store on a fresh directory, with warnings captured; `alive` decides which pids run. */
const withDirectory = <A, E>(
  test: (
    directory: string,
    makeStore: (options?: Partial<FileSystemTraceStore.Options>) => Effect.Effect<StoreServices.CompleteStore, never, FileSystem.FileSystem | Path.Path>,
    warnings: ReadonlyArray<string>
  ) => Effect.Effect<A, E, FileSystem.FileSystem | Path.Path>
) =>
  Effect.gen(function*() {
    const directory = NodePath.join(yield* tempDirectory, "traces")
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const makeStore = (options: Partial<FileSystemTraceStore.Options> = {}) =>
      FileSystemTraceStore.make({
        directory,
        owner: self,
        isProcessAlive: (pid) => pid === process.pid,
        ...options
      })
    return yield* test(directory, makeStore, warnings).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

const header = Journal.headerOf({ ...sampleTrace(), traceId: "run-1", startTime: 100 })
const entries = [
  Journal.event({ eventType: "workflow_started", timestamp: 100 }),
  Journal.event({ eventType: "node_started", timestamp: 100, nodeId: "quick" }),
  Journal.event({ eventType: "node_completed", timestamp: 101, nodeId: "quick", status: "success", durationSeconds: 1 }),
  Journal.node({ ...sampleTrace().nodes[0]!, nodeId: "quick", timestamp: 100, durationSeconds: 1 }),
  Journal.event({ eventType: "node_started", timestamp: 101, nodeId: "slow" })
]

/** A journal file as a process `owner` would have left it. */
const writeJournal = (directory: string, owner: Journal.JournalOwner | undefined, traceId = "run-1") => {
  NodeFs.mkdirSync(directory, { recursive: true })
  const file = NodePath.join(directory, `review_${traceId}.jsonl`)
  NodeFs.writeFileSync(
    file,
    [Journal.encodeHeader({ ...header, traceId }, owner), ...entries.map(Journal.encodeEntry)].join("\n") + "\n"
  )
  return file
}

const ago = (file: string, seconds: number) => {
  const when = new Date(Date.now() - seconds * 1000)
  NodeFs.utimesSync(file, when, when)
}

describe("FileSystemTraceStore journals", () => {
  it.live("journals {workflow}_{id}.jsonl (0600) line by line, and finish leaves only the trace", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const store = yield* makeStore()
        const journal = yield* store.begin(header)
        const file = NodePath.join(directory, "review_run-1.jsonl")
        expect(NodeFs.statSync(file).mode & 0o777).toBe(0o600)
        yield* journal.append(entries.slice(0, 2))
        yield* journal.append(entries.slice(2))
        const lines = NodeFs.readFileSync(file, "utf8").trimEnd().split("\n")
        expect(lines).toHaveLength(6)
        expect(JSON.parse(lines[0]!)).toMatchObject({ journal: 1, owner: self, header: { trace_id: "run-1" } })
        expect(JSON.parse(lines[3]!)).toEqual({
          event: { event_type: "node_completed", timestamp: 101, node_id: "quick", status: "success", duration_seconds: 1 }
        })
        yield* journal.finish(sampleTrace({ traceId: "run-1" }))
        expect(NodeFs.readdirSync(directory)).toEqual(["review_run-1.json"])
      })
    ))

  it.live("recovers the journal of a dead process at once, and never the journal of a live one", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const dead = writeJournal(directory, { pid: deadPid, host: "test-host" }, "dead-run")
        const alive = writeJournal(directory, { pid: process.pid, host: "test-host" }, "own-run")
        const otherHost = writeJournal(directory, { pid: deadPid, host: "elsewhere" }, "remote-run")
        // This process's pid, but not a journal it writes, and silent for a long time: a pid reused after a crash.
        ago(alive, 3600)
        const store = yield* makeStore()
        const summaries = yield* store.list()
        expect(summaries.map((s) => [s.traceId, s.status]).sort()).toEqual([
          ["dead-run", "incomplete"],
          ["own-run", "incomplete"],
          ["remote-run", "running"]
        ])
        expect(NodeFs.existsSync(dead)).toBe(false)
        expect(NodeFs.existsSync(otherHost)).toBe(true)
        // Another host cannot be asked: its journal is recovered once its heartbeat is stale.
        ago(otherHost, 60)
        expect(yield* store.recover).toEqual(["remote-run"])
        const trace = yield* store.get("dead-run")
        expect(trace.nodes.map((n) => [n.nodeId, n.success])).toEqual([["quick", true], ["slow", false]])
        expect(NodeFs.readdirSync(directory).filter((n) => !n.startsWith(".")).sort()).toEqual([
          "review_dead-run.json",
          "review_own-run.json",
          "review_remote-run.json"
        ])
      })
    ))

  it.live("a live journal of another process is listed as running and left alone, heartbeat or not", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const file = writeJournal(directory, { pid: 4242, host: "test-host" })
        ago(file, 20)
        const store = yield* makeStore({ isProcessAlive: (pid) => pid === 4242 })
        expect((yield* store.list()).map((s) => s.status)).toEqual(["running"])
        expect(yield* store.recover).toEqual([])
        expect(NodeFs.existsSync(file)).toBe(true)
      })
    ))

  it.live("recovery never replaces a trace that was finished after all, and two recoverers make one trace", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const store = yield* makeStore()
        yield* store.save(sampleTrace({ traceId: "run-1" }))
        writeJournal(directory, { pid: deadPid, host: "test-host" })
        yield* store.recover
        expect((yield* store.get("run-1")).status).toBe("succeeded")
        writeJournal(directory, { pid: deadPid, host: "test-host" }, "run-2")
        const other = yield* makeStore()
        const [a, b] = yield* Effect.all([store.recover, other.recover], { concurrency: 2 })
        expect([...a, ...b]).toEqual(["run-2"])
        expect((yield* store.get("run-2")).status).toBe("incomplete")
        expect(NodeFs.readdirSync(directory).filter((n) => !n.startsWith(".")).sort()).toEqual([
          "review_run-1.json",
          "review_run-2.json"
        ])
      })
    ))

  it.live("a recovery that died half-way is taken over once its claim is stale; a fresh claim is left alone", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const stale = writeJournal(directory, { pid: deadPid, host: "test-host" }, "half-done")
        const staleClaim = NodePath.join(directory, ".review_half-done.jsonl.recovering-0123456789ab")
        NodeFs.renameSync(stale, staleClaim)
        ago(staleClaim, 120)
        const fresh = writeJournal(directory, { pid: deadPid, host: "test-host" }, "in-progress")
        const freshClaim = NodePath.join(directory, ".review_in-progress.jsonl.recovering-0123456789ab")
        NodeFs.renameSync(fresh, freshClaim)
        const store = yield* makeStore()
        expect((yield* store.list()).map((s) => [s.traceId, s.status])).toEqual([["half-done", "incomplete"]])
        expect(NodeFs.existsSync(staleClaim)).toBe(false)
        expect(NodeFs.existsSync(freshClaim)).toBe(true)
      })
    ))

  it.live("the tracer journals a run as it goes and compacts it at the end", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const store = yield* makeStore()
        const tracer = yield* WorkflowTracer.make().pipe(Effect.provide(StoreServices.context(store)))
        const ref = yield* tracer.startTrace({ workflowName: "review", inputs: { task: "x" } })
        yield* tracer.withNode({ nodeId: "first", nodeType: "compute" }, Effect.void)
        yield* tracer.startNode({ nodeId: "second", nodeType: "agent" })
        yield* tracer.traceToolCall({ toolName: "read", outputs: { text: "hello" } })
        // The writer runs on its own fiber: give it a moment.
        const journalFile = NodePath.join(directory, `review_${ref.traceId}.jsonl`)
        let text = ""
        for (let i = 0; i < 100 && !text.includes("\"tool_call\""); i++) {
          yield* Effect.sleep(10)
          text = NodeFs.existsSync(journalFile) ? NodeFs.readFileSync(journalFile, "utf8") : ""
        }
        const parsed = Journal.parse(text)
        expect(parsed._tag).toBe("Right")
        if (parsed._tag === "Right") {
          const rebuilt = Journal.rebuild(parsed.right.header, parsed.right.entries, "incomplete")
          expect(rebuilt.nodes.map((n) => [n.nodeId, n.nodeType, n.toolCalls.length])).toEqual([
            ["first", "compute", 0],
            ["second", "agent", 1]
          ])
        }
        expect((yield* store.list()).map((s) => s.status)).toEqual(["running"])
        yield* tracer.endNode()
        yield* tracer.endTrace()
        expect(NodeFs.readdirSync(directory).sort()).toEqual([".index.jsonl", `review_${ref.traceId}.json`])
        expect((yield* store.get(ref.traceId)).nodes).toHaveLength(2)
      })
    ).pipe(Effect.provide(Layer.empty)))
})

describe("FileSystemTraceStore and Effect spans", () => {
  it.live("journals the spans of a run as they end, so a run that dies keeps them; its stored trace keeps them all", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const store = yield* makeStore()
        const tracer = yield* WorkflowTracer.make().pipe(Effect.provide(StoreServices.context(store)))
        const ref = yield* tracer.startTrace({ workflowName: "review" })
        yield* Effect.withSpan(Effect.void, "boot")
        yield* tracer.withNode(
          { nodeId: "first", nodeType: "compute" },
          tracer.withToolCall("db", {}, Effect.withSpan(Effect.succeed({}), "db.query", { attributes: { rows: 2 } }))
        )
        yield* tracer.startNode({ nodeId: "second", nodeType: "agent" })
        yield* Effect.withSpan(Effect.void, "thinking")
        const journalFile = NodePath.join(directory, `review_${ref.traceId}.jsonl`)
        let text = ""
        for (let i = 0; i < 100 && !text.includes("\"thinking\""); i++) {
          yield* Effect.sleep(10)
          text = NodeFs.existsSync(journalFile) ? NodeFs.readFileSync(journalFile, "utf8") : ""
        }
        const parsed = Journal.parse(text)
        expect(parsed._tag).toBe("Right")
        if (parsed._tag === "Right") {
          expect(parsed.right.skippedLines).toBe(0)
          const rebuilt = Journal.rebuild(parsed.right.header, parsed.right.entries, "incomplete")
          expect(rebuilt.schemaVersion).toBe(2)
          expect(rebuilt.spans?.map((span) => span.name)).toEqual(["boot"])
          expect(rebuilt.nodes.map((n) => [n.nodeId, n.toolCalls[0]?.spans?.map((s) => s.name), n.spans?.map((s) => s.name)]))
            .toEqual([["first", ["db.query"], undefined], ["second", undefined, ["thinking"]]])
        }
        yield* tracer.endNode()
        yield* tracer.endTrace()
        const stored = yield* (yield* makeStore()).get(ref.traceId)
        expect(stored.schemaVersion).toBe(2)
        expect(stored.spans?.map((span) => span.name)).toEqual(["boot"])
        expect(stored.nodes[0]!.toolCalls[0]!.spans?.[0]).toMatchObject({ name: "db.query", attributes: { rows: 2 } })
        expect(stored.nodes[1]!.spans?.map((span) => span.name)).toEqual(["thinking"])
      })
    ).pipe(Effect.provide(EffectSpans.layer)))
})

describe("FileSystemTraceStore journals in uninterruptible regions", () => {
  it.live("a trace started and ended inside an uninterruptible region (as the executor does) finishes", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const store = yield* makeStore({ heartbeatSeconds: 0.01 })
        const tracer = yield* WorkflowTracer.make().pipe(Effect.provide(StoreServices.context(store)))
        const ref = yield* Effect.uninterruptible(Effect.gen(function*() {
          const ref = yield* tracer.startTrace({ workflowName: "review" })
          yield* Effect.sleep(50)
          yield* tracer.endTrace()
          return ref
        })).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "endTrace hung" }))
        expect(NodeFs.readdirSync(directory)).toEqual([`review_${ref.traceId}.json`])
      })
    ))
})

describe("FileSystemTraceStore index", () => {
  it.live("is created by list, used while files are unchanged, and rebuilt when corrupt or stale", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const store = yield* makeStore()
        yield* store.save(sampleTrace({ traceId: "a", startTime: 1 }))
        const index = NodePath.join(directory, ".index.jsonl")
        expect(NodeFs.existsSync(index)).toBe(false)
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["a"])
        expect(NodeFs.readFileSync(index, "utf8")).toContain("\"trace_id\":\"a\"")
        // Saves append to it.
        yield* store.save(sampleTrace({ traceId: "b", startTime: 2 }))
        expect(NodeFs.readFileSync(index, "utf8").trimEnd().split("\n")).toHaveLength(2)
        // An entry whose file is unchanged is trusted (this one is edited to prove it is read).
        NodeFs.writeFileSync(index, NodeFs.readFileSync(index, "utf8").replace("\"workflow_name\":\"review\"", "\"workflow_name\":\"from-index\""))
        expect((yield* store.list()).map((s) => s.workflowName)).toEqual(["from-index", "review"])
        // A file changed behind the store's back is read again.
        const file = NodePath.join(directory, "review_a.json")
        NodeFs.writeFileSync(file, NodeFs.readFileSync(file, "utf8").replace("\"status\": \"succeeded\"", "\"status\": \"failed\""))
        expect((yield* store.list()).map((s) => [s.traceId, s.workflowName, s.status])).toEqual([
          ["a", "review", "failed"],
          ["b", "review", "succeeded"]
        ])
        // Files removed or added by hand, and a corrupt index.
        NodeFs.rmSync(file)
        NodeFs.writeFileSync(NodePath.join(directory, "x_c.json"), JSON.stringify({ trace_id: "c", workflow_name: "x", start_time: 3 }))
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["b", "c"])
        NodeFs.writeFileSync(index, "{not json\n")
        expect((yield* store.list()).map((s) => s.traceId)).toEqual(["b", "c"])
        expect(NodeFs.readFileSync(index, "utf8")).not.toContain("{not json")
        NodeFs.rmSync(index)
        expect((yield* store.list({ workflowName: "x" })).map((s) => s.traceId)).toEqual(["c"])
      })
    ))

  it.live("warns once about a foreign file, moved to the quarantine: a later list neither reads it nor warns", () =>
    withDirectory((directory, makeStore, warnings) =>
      Effect.gen(function*() {
        const store = yield* makeStore()
        yield* store.save(sampleTrace())
        NodeFs.writeFileSync(NodePath.join(directory, "package.json"), "{\"name\": \"x\"}")
        yield* store.list()
        yield* store.list()
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain(NodePath.join(directory, "package.json"))
        expect(NodeFs.existsSync(NodePath.join(directory, "quarantine", "package.json"))).toBe(true)
      })
    ))
})

describe("FileSystemTraceStore blobs", () => {
  const big = "x".repeat(200_000)
  const withOutput = (traceId: string, output: string) => {
    const base = sampleTrace({ traceId })
    const node = base.nodes[0]!
    return sampleTrace({
      traceId,
      nodes: [{ ...node, toolCalls: [{ ...node.toolCalls[0]!, outputs: { stdout: output, exit_code: 0 } }] }]
    })
  }

  it.live("keeps a large output once as blobs/<sha256>, shared by traces, resolved on demand, pruned when unused", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const store = yield* makeStore()
        yield* store.save(withOutput("one", big))
        yield* store.save(withOutput("two", big))
        const blobs = NodeFs.readdirSync(NodePath.join(directory, "blobs"))
        expect(blobs).toHaveLength(1)
        expect(NodeFs.statSync(NodePath.join(directory, "blobs", blobs[0]!)).mode & 0o777).toBe(0o600)
        const stored = yield* store.get("one")
        const ref = stored.nodes[0]!.toolCalls[0]!.outputs["stdout"]
        expect(Payload.isBlobRef(ref)).toBe(true)
        if (!Payload.isBlobRef(ref)) return
        expect(ref).toMatchObject({ $blob: `sha256:${blobs[0]}`, bytes: big.length + 2 })
        expect(ref.preview).toBe(big.slice(0, Payload.PREVIEW_CHARS))
        expect(stored.nodes[0]!.toolCalls[0]!.outputs["exit_code"]).toBe(0)
        expect(NodeFs.statSync(NodePath.join(directory, "review_one.json")).size).toBeLessThan(10_000)
        const full = yield* Payload.resolve(stored, store.readBlob)
        expect(full.nodes[0]!.toolCalls[0]!.outputs).toEqual({ stdout: big, exit_code: 0 })
        yield* store.remove("one")
        expect((yield* store.prune({})).blobsRemoved).toBe(0)
        yield* store.remove("two")
        const pruned = yield* store.prune({})
        expect(pruned.blobsRemoved).toBe(1)
        expect(NodeFs.readdirSync(NodePath.join(directory, "blobs"))).toEqual([])
        expect((yield* Effect.flip(store.readBlob("../x"))).reason).toBe("InvalidId")
      })
    ))

  it.live("capture preview keeps only preview, size and hash; none keeps no content", () =>
    withDirectory((directory, makeStore) =>
      Effect.gen(function*() {
        const preview = yield* makeStore({ capture: { mode: "preview" } })
        yield* preview.save(withOutput("p", big))
        expect(NodeFs.existsSync(NodePath.join(directory, "blobs"))).toBe(false)
        const kept = (yield* preview.get("p")).nodes[0]!.toolCalls[0]!.outputs
        expect(kept["stdout"]).toMatchObject({ bytes: big.length + 2, preview: big.slice(0, Payload.PREVIEW_CHARS) })
        expect(kept["exit_code"]).toBe(0)
        const none = yield* makeStore({ capture: { mode: "none" } })
        yield* none.save(withOutput("n", "short"))
        const text = NodeFs.readFileSync(NodePath.join(directory, "review_n.json"), "utf8")
        expect(text).not.toContain("short")
        expect(text).not.toContain("fix bug")
        expect((yield* none.get("n")).nodes[0]!.toolCalls[0]!.outputs["stdout"]).toMatchObject({ bytes: 7 })
      })
    ))
})
