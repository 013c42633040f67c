/**
 * The TraceStore contract suite: every TraceStore implementation runs it (`testTraceStore("memory", layer, [])`), so
 * all stores behave alike for save, get, list, filters and remove, and for pruning and node facts (through the store's
 * own capability, or the fallback when it has none). A store that declares the `journals` capability also runs the
 * journal tests (begin, append, finish, recovery of an abandoned journal as `incomplete`); what a store declares is
 * checked against the services its layer provides.
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Journal from "../src/Journal.ts"
import * as NodeFacts from "../src/NodeFacts.ts"
import * as TraceBlobs from "../src/TraceBlobs.ts"
import * as TraceJournals from "../src/TraceJournals.ts"
import * as TracePruning from "../src/TracePruning.ts"
import * as TraceStore from "../src/TraceStore.ts"
import type { WorkflowTrace } from "../src/WorkflowTrace.ts"

/** A small finished trace for store tests. */
export const sampleTrace = (overrides: Partial<WorkflowTrace> = {}): WorkflowTrace => ({
  schemaVersion: 1,
  traceId: "trace-1",
  workflowName: "review",
  status: "succeeded",
  startTime: 1_700_000_000,
  endTime: 1_700_000_002.5,
  durationSeconds: 2.5,
  error: null,
  inputs: { task: "fix bug" },
  outputs: { result: "ok" },
  metadata: { env: "test" },
  parentTraceId: null,
  traceParent: null,
  nodes: [{
    nodeId: "read",
    nodeType: "compute",
    timestamp: 1_700_000_000.1,
    durationSeconds: 1.25,
    success: true,
    error: null,
    inputs: { path: "a.txt" },
    outputs: { content: "hello" },
    toolCalls: [{
      toolName: "read",
      inputs: { path: "a.txt" },
      outputs: { content: "hello" },
      durationSeconds: 0.5,
      success: true,
      error: null,
      timestamp: 1_700_000_000.2
    }],
    metadata: {}
  }],
  events: [{ eventType: "workflow_started", timestamp: 1_700_000_000 }],
  ...overrides
})

/** The optional capabilities a store may provide besides the contract. */
export type Capability = "journals" | "blobs" | "nodeFacts" | "pruning"

const capabilityTags = {
  journals: TraceJournals.TraceJournals,
  blobs: TraceBlobs.TraceBlobs,
  nodeFacts: NodeFacts.NodeFactsIndex,
  pruning: TracePruning.TracePruner
} as const

/**
 * Runs the contract against a store layer, which must start empty for each test and provide exactly the capabilities
 * listed.
 */
export const testTraceStore = <E>(
  name: string,
  makeLayer: () => Layer.Layer<TraceStore.TraceStore, E>,
  capabilities: ReadonlyArray<Capability>
) =>
  describe(`TraceStore contract: ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, TraceStore.TraceStore>) =>
      Effect.provide(effect, makeLayer())
    const journaled = capabilities.includes("journals")
    // The journals of the store under test (its layer provides them when it declares them).
    const journalsOf = Effect.flatMap(Effect.serviceOption(TraceJournals.TraceJournals), (journals) =>
      Option.isSome(journals)
        ? Effect.succeed(journals.value)
        : Effect.dieMessage("the store declares journals but its layer provides none"))

    it.effect(`provides exactly the capabilities it declares: ${capabilities.join(", ") || "none"}`, () =>
      run(Effect.gen(function*() {
        const provided: Array<Capability> = []
        const present = (tag: Context.Tag<any, any>) => Effect.map(Effect.serviceOption(tag), Option.isSome)
        for (const capability of Object.keys(capabilityTags) as ReadonlyArray<Capability>) {
          if (yield* present(capabilityTags[capability])) provided.push(capability)
        }
        expect(provided.sort()).toEqual([...capabilities].sort())
      })))

    it.effect("saves and gets a trace back unchanged", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        const trace = sampleTrace()
        yield* store.save(trace)
        expect(yield* store.get("trace-1")).toEqual(trace)
      })))

    it.effect("fails with NotFound for an unknown id and InvalidId for a path", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        const missing = yield* Effect.flip(store.get("nope"))
        expect(missing.reason).toBe("NotFound")
        for (const bad of ["../etc/passwd", "/abs", "a/b", "", ".."]) {
          const invalid = yield* Effect.flip(store.get(bad))
          expect(invalid.reason).toBe("InvalidId")
        }
        expect((yield* Effect.flip(store.save(sampleTrace({ traceId: "../x" })))).reason).toBe("InvalidId")
      })))

    it.effect("lists oldest first and filters by workflow, status, time and limit", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        yield* store.save(sampleTrace({ traceId: "c", startTime: 30, workflowName: "b", status: "failed" }))
        yield* store.save(sampleTrace({ traceId: "a", startTime: 10 }))
        yield* store.save(sampleTrace({ traceId: "b", startTime: 20 }))
        const ids = (query?: TraceStore.TraceQuery) =>
          Effect.map(store.list(query), (list) => list.map((s) => s.traceId))
        expect(yield* ids()).toEqual(["a", "b", "c"])
        expect(yield* ids({ workflowName: "review" })).toEqual(["a", "b"])
        expect(yield* ids({ status: "failed" })).toEqual(["c"])
        expect(yield* ids({ since: 15 })).toEqual(["b", "c"])
        expect(yield* ids({ limit: 2 })).toEqual(["b", "c"])
        const [first] = yield* store.list({ limit: 1 })
        expect(first).toMatchObject({ traceId: "c", nodeCount: 1, failedNodeCount: 0, status: "failed" })
      })))

    it.effect("replaces a trace saved again under the same id", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        yield* store.save(sampleTrace({ status: "running" }))
        yield* store.save(sampleTrace({ status: "failed" }))
        expect((yield* store.list()).map((s) => s.status)).toEqual(["failed"])
      })))

    const header = Journal.headerOf({ ...sampleTrace(), traceId: "run-1", startTime: 100 })
    const started = (nodeId: string, timestamp: number) =>
      Journal.event({ eventType: "node_started", timestamp, nodeId })
    const finishedNode = (nodeId: string, timestamp: number) => ({
      ...sampleTrace().nodes[0]!,
      nodeId,
      timestamp,
      durationSeconds: 1
    })
    const quickEntries = [
      Journal.event({ eventType: "workflow_started", timestamp: 100 }),
      started("quick", 100),
      Journal.nodeStarted({ nodeId: "quick", nodeType: "compute", timestamp: 100, inputs: {} }),
      Journal.event({ eventType: "node_completed", timestamp: 101, nodeId: "quick", status: "success", durationSeconds: 1 }),
      Journal.node(finishedNode("quick", 100)),
      started("slow", 101),
      Journal.nodeStarted({ nodeId: "slow", nodeType: "compute", timestamp: 101, inputs: { command: "sleep 30" } }),
      Journal.toolCall({ ...sampleTrace().nodes[0]!.toolCalls[0]!, toolName: "shell", timestamp: 101 }, "slow")
    ]

    if (journaled) {
      it.effect("lists a journaled trace as running with what it has so far, and leaves it alone while it lives", () =>
        run(Effect.gen(function*() {
          const store = yield* TraceStore.TraceStore
          const journals = yield* journalsOf
          const journal = yield* journals.begin(header)
          yield* journal.append(quickEntries)
          expect(yield* journals.recover).toEqual([])
          const [summary] = yield* store.list()
          expect(summary).toMatchObject({ traceId: "run-1", status: "running", nodeCount: 2, failedNodeCount: 0 })
          const running = yield* store.get("run-1")
          expect(running.status).toBe("running")
          expect(running.nodes.map((n) => n.nodeId)).toEqual(["quick", "slow"])
          expect(yield* store.list({ status: "succeeded" })).toEqual([])
        })))

      it.effect("finish stores the final trace in place of the journal", () =>
        run(Effect.gen(function*() {
          const store = yield* TraceStore.TraceStore
          const journals = yield* journalsOf
          const journal = yield* journals.begin(header)
          yield* journal.append(quickEntries)
          const final = sampleTrace({ traceId: "run-1", startTime: 100 })
          yield* journal.finish(final)
          expect(yield* store.get("run-1")).toEqual(final)
          expect((yield* store.list()).map((s) => [s.traceId, s.status])).toEqual([["run-1", "succeeded"]])
          expect(yield* journals.recover).toEqual([])
        })))

      it.effect("recovers an abandoned journal as incomplete: finished nodes, tool calls, the open node failed", () =>
        run(Effect.gen(function*() {
          const store = yield* TraceStore.TraceStore
          const journals = yield* journalsOf
          const journal = yield* journals.begin(header)
          yield* journal.append(quickEntries)
          yield* journal.abandon
          expect(yield* journals.recover).toEqual(["run-1"])
          expect(yield* journals.recover).toEqual([])
          const trace = yield* store.get("run-1")
          expect(trace).toMatchObject({ status: "incomplete", workflowName: "review", inputs: header.inputs })
          expect(trace.error).toBe(Journal.INCOMPLETE_ERROR)
          expect(trace.nodes.map((n) => [n.nodeId, n.nodeType, n.success])).toEqual([
            ["quick", "compute", true],
            ["slow", "compute", false]
          ])
          expect(trace.nodes[1]!.error).toBe(Journal.UNFINISHED_NODE_ERROR)
          expect(trace.nodes[1]!.inputs).toEqual({ command: "sleep 30" })
          expect(trace.nodes[1]!.toolCalls.map((c) => c.toolName)).toEqual(["shell"])
          expect(trace.events.map((e) => e.eventType)).toEqual([
            "workflow_started",
            "node_started",
            "node_completed",
            "node_started"
          ])
          expect((yield* store.list({ status: "incomplete" })).map((s) => s.traceId)).toEqual(["run-1"])
        })))

      it.effect("rejects a journal for an invalid id", () =>
        run(Effect.gen(function*() {
          const journals = yield* journalsOf
          expect((yield* Effect.flip(journals.begin({ ...header, traceId: "../x" }))).reason).toBe("InvalidId")
        })))
    }

    it.effect(`prunes by age, count and size (dry run first)${journaled ? "; running traces stay" : ""}`, () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        for (const [id, start] of [["a", 10], ["b", 20], ["c", 30], ["d", 40]] as const) {
          yield* store.save(sampleTrace({ traceId: id, startTime: start }))
        }
        const running = journaled ? ["run-1"] : []
        if (journaled) {
          const journal = yield* (yield* journalsOf).begin({ ...header, startTime: 5 })
          yield* journal.append(quickEntries.slice(0, 2))
        }
        const ids = Effect.map(store.list(), (list) => list.map((s) => s.traceId))
        const dry = yield* TracePruning.prune({ startedBefore: 25, dryRun: true })
        expect(dry.removed.map((s) => s.traceId)).toEqual(["a", "b"])
        expect(dry.dryRun).toBe(true)
        expect(yield* ids).toEqual([...running, "a", "b", "c", "d"])
        const byAge = yield* TracePruning.prune({ startedBefore: 15 })
        expect(byAge.removed.map((s) => s.traceId)).toEqual(["a"])
        expect(byAge.freedBytes).toBeGreaterThan(0)
        expect((yield* TracePruning.prune({ keepLast: 2 })).removed.map((s) => s.traceId)).toEqual(["b"])
        expect(yield* ids).toEqual([...running, "c", "d"])
        expect((yield* TracePruning.prune({ maxBytes: 1 })).removed.map((s) => s.traceId)).toEqual(["c", "d"])
        expect(yield* ids).toEqual(running)
      })))

    it.effect(
      `listNodeFacts gives what list gives, with the facts of every node${journaled ? ", running traces too" : ""}`,
      () =>
        run(Effect.gen(function*() {
          const store = yield* TraceStore.TraceStore
          const failed = sampleTrace({
            traceId: "f",
            startTime: 20,
            status: "failed",
            nodes: [
              { ...sampleTrace().nodes[0]!, nodeId: "fetch", metadata: { iteration: 2 } },
              { ...sampleTrace().nodes[0]!, nodeId: "parse", success: false, error: "bad json", metadata: { iteration: 0.5 } }
            ]
          })
          yield* store.save(sampleTrace({ traceId: "ok", startTime: 10 }))
          yield* store.save(failed)
          if (journaled) {
            const journal = yield* (yield* journalsOf).begin(header)
            yield* journal.append(quickEntries)
          }
          const queries: ReadonlyArray<TraceStore.TraceQuery | undefined> = [
            undefined,
            { status: "failed" },
            { limit: 1 },
            { workflowName: "other" }
          ]
          for (const query of queries) {
            const facts = yield* NodeFacts.listNodeFacts(query)
            expect(facts.map(({ nodes: _, ...summary }) => summary)).toEqual(yield* store.list(query))
          }
          const byId = new Map((yield* NodeFacts.listNodeFacts()).map((f) => [f.traceId, f]))
          expect(byId.get("f")).toEqual(NodeFacts.factsOf(failed))
          expect(byId.get("f")!.nodes).toEqual([
            { nodeId: "fetch", iteration: 2, timestamp: 1_700_000_000.1, durationSeconds: 1.25, success: true, error: null },
            { nodeId: "parse", iteration: null, timestamp: 1_700_000_000.1, durationSeconds: 1.25, success: false, error: "bad json" }
          ])
          expect(byId.get("ok")).toEqual(NodeFacts.factsOf(sampleTrace({ traceId: "ok", startTime: 10 })))
          if (journaled) expect(byId.get("run-1")).toEqual(NodeFacts.factsOf(yield* store.get("run-1")))
        }))
    )

    it.effect("reads blobs by sha256 only; a store without blobs has none", () =>
      run(Effect.gen(function*() {
        expect((yield* Effect.flip(TraceBlobs.readBlob("../x"))).reason).toBe("InvalidId")
        expect((yield* Effect.flip(TraceBlobs.readBlob("0".repeat(64)))).reason).toBe("NotFound")
      })))

    it.effect("removes a trace", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        yield* store.save(sampleTrace())
        yield* store.remove("trace-1")
        expect(yield* store.list()).toEqual([])
        expect((yield* Effect.flip(store.remove("trace-1"))).reason).toBe("NotFound")
      })))
  })
