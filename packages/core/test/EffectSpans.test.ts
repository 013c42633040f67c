import { describe, expect, it } from "@effect/vitest"
import * as EffectSpans from "@victor/core/EffectSpans"
import * as Journal from "@victor/core/Journal"
import * as Redaction from "@victor/core/Redaction"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as TraceJson from "@victor/core/TraceJson"
import * as TraceJournals from "@victor/core/TraceJournals"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"

const T0 = 1_700_000_000
const setTime = (seconds: number) => TestClock.setTime(seconds * 1000)
const traced = Layer.merge(WorkflowTracer.layerMemory(), EffectSpans.layer)

// A tool that queries "the database": one span, with attributes and a log.
const query = (sql: string) =>
  Effect.gen(function*() {
    yield* Effect.sleep(Duration.millis(20))
    yield* Effect.annotateCurrentSpan("db.rows", 3)
    yield* Effect.logInfo("query done")
    return { rows: 3 }
  }).pipe(Effect.withSpan("db.query", { attributes: { "db.system": "sqlite", "db.statement": sql } }))

describe("EffectSpans", () => {
  it.effect("records a span inside a node as the node's, with attributes, events and the trace's clock", () =>
    Effect.gen(function*() {
      yield* setTime(T0)
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "spans" })
      const fiber = yield* Effect.fork(tracer.withNode(
        { nodeId: "fetch", nodeType: "compute" },
        Effect.zipRight(Effect.sleep(Duration.millis(10)), query("select 1"))
      ))
      yield* TestClock.adjust(Duration.millis(100))
      yield* Fiber.join(fiber)
      const trace = yield* tracer.endTrace()
      const node = trace.nodes[0]!
      expect(node.toolCalls).toEqual([])
      expect(node.spans).toHaveLength(1)
      const span = node.spans![0]!
      expect(span).toMatchObject({
        parentSpanId: null,
        name: "db.query",
        kind: "internal",
        timestamp: T0 + 0.01,
        durationSeconds: expect.closeTo(0.02, 5),
        success: true,
        error: null,
        attributes: { "db.system": "sqlite", "db.statement": "select 1", "db.rows": 3 }
      })
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/)
      expect(span.events).toEqual([
        expect.objectContaining({ name: "query done", timestamp: expect.closeTo(T0 + 0.03, 5) })
      ])
      expect(span.events![0]!.attributes).toMatchObject({ "effect.logLevel": "INFO" })
      expect(trace.schemaVersion).toBe(WorkflowTrace.SCHEMA_VERSION)
      expect(trace.spans).toBeUndefined()
    }).pipe(Effect.provide(traced)))

  it.effect("a span inside a tool call is the tool call's; nested spans name their parent", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "spans" })
      const tool = Effect.gen(function*() {
        yield* Effect.withSpan(Effect.void, "connect")
        return yield* Effect.withSpan(Effect.zipRight(query("select 2"), Effect.succeed({ ok: true })), "lookup", {
          kind: "client"
        })
      })
      const fiber = yield* Effect.fork(tracer.withNode(
        { nodeId: "agent", nodeType: "compute" },
        Effect.zipRight(tracer.withToolCall("db", { q: 2 }, tool), Effect.withSpan(Effect.void, "after"))
      ))
      yield* TestClock.adjust(Duration.millis(100))
      yield* Fiber.join(fiber)
      const trace = yield* tracer.endTrace()
      const node = trace.nodes[0]!
      expect(node.spans?.map((s) => s.name)).toEqual(["after"])
      const call = node.toolCalls[0]!
      // In the order they ended: a child before its parent.
      expect(call.spans?.map((s) => s.name)).toEqual(["connect", "db.query", "lookup"])
      const [connect, dbQuery, lookup] = call.spans!
      expect(connect!.parentSpanId).toBeNull()
      expect(lookup!.parentSpanId).toBeNull()
      expect(lookup!.kind).toBe("client")
      expect(dbQuery!.parentSpanId).toBe(lookup!.spanId)
      expect(WorkflowTrace.spanTree(call.spans).map((p) => [p.span.name, p.depth])).toEqual([
        ["connect", 0],
        ["lookup", 0],
        ["db.query", 1]
      ])
    }).pipe(Effect.provide(traced)))

  it.effect("records failures with their message and interruptions as cancelled", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "spans" })
      const never = Effect.withSpan(Effect.never, "loser")
      yield* tracer.withNode(
        { nodeId: "n", nodeType: "compute" },
        Effect.gen(function*() {
          yield* Effect.exit(Effect.withSpan(Effect.fail(new Error("connection refused")), "db.connect"))
          yield* Effect.race(never, Effect.withSpan(Effect.void, "winner"))
        })
      )
      const trace = yield* tracer.endTrace()
      const spans = trace.nodes[0]!.spans!
      const byName = Object.fromEntries(spans.map((s) => [s.name, s]))
      expect(byName["db.connect"]).toMatchObject({ success: false, error: "connection refused" })
      expect(byName["db.connect"]!.attributes["code.stacktrace"]).toEqual(expect.any(String))
      expect(byName["winner"]).toMatchObject({ success: true, error: null })
      expect(byName["loser"]).toMatchObject({ success: false, error: "cancelled" })
    }).pipe(Effect.provide(traced)))

  it.effect("a span outside any node is the trace's; attribute values become JSON", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "spans" })
      const cyclic: Record<string, unknown> = { name: "loop" }
      cyclic["self"] = cyclic
      yield* Effect.withSpan(Effect.void, "setup", {
        attributes: {
          big: 12345678901234567890n,
          when: new Date(0),
          nan: Number.NaN,
          list: new Set([1, 2]),
          cyclic,
          skipped: undefined
        }
      })
      const trace = yield* tracer.endTrace()
      expect(trace.schemaVersion).toBe(2)
      expect(trace.spans?.map((s) => s.name)).toEqual(["setup"])
      expect(trace.spans![0]!.attributes).toEqual({
        big: "12345678901234567890",
        when: "1970-01-01T00:00:00.000Z",
        nan: "NaN",
        list: [1, 2],
        cyclic: { name: "loop", self: "[circular]" }
      })
      // The JSON writer writes what the schema encodes, and the decoders read it back.
      const json = TraceJson.encodeToString(trace)
      expect(json).toBe(JSON.stringify(WorkflowTrace.encode(trace), null, 2))
      expect(Array.from(TraceJson.chunks(trace, { indent: 0 })).join("")).toBe(JSON.stringify(WorkflowTrace.encode(trace)))
      expect(TraceDecoder.decodeFast(JSON.parse(json))).toEqual(trace)
      expect(yield* WorkflowTrace.decodeUnknown(JSON.parse(json))).toEqual(trace)
    }).pipe(Effect.provide(traced)))

  it.effect("a span that ends after its node, in a fiber the node forked, still lands in the node's record", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "late" })
      const go = yield* Deferred.make<void>()
      const late = yield* tracer.withNode(
        { nodeId: "quiet", nodeType: "compute" },
        Effect.fork(Effect.withSpan(Deferred.await(go), "background"))
      )
      yield* tracer.withNode({ nodeId: "other", nodeType: "compute" }, Effect.void)
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(late)
      const trace = yield* tracer.endTrace()
      expect(trace.nodes.map((n) => [n.nodeId, n.spans?.map((s) => s.name)])).toEqual([
        ["quiet", ["background"]],
        ["other", undefined]
      ])
    }).pipe(Effect.provide(traced)))

  it.effect("outside a trace, and after it, spans go to the tracer that was there before", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const native = yield* Effect.tracer
      const previous = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          seen.push(name)
          return native.span(name, parent, context, links, startTime, kind, options)
        },
        context: (f, fiber) => native.context(f, fiber)
      })
      const program = Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* Effect.withSpan(Effect.void, "before")
        yield* tracer.startTrace({ workflowName: "spans" })
        yield* tracer.withNode({ nodeId: "n", nodeType: "compute" }, Effect.withSpan(Effect.void, "inside"))
        const trace = yield* tracer.endTrace()
        yield* Effect.withSpan(Effect.void, "after")
        return trace
      })
      const trace = yield* program.pipe(
        Effect.provide(traced),
        Effect.provide(Layer.setTracer(previous))
      )
      expect(seen).toEqual(["before", "after"])
      expect(trace.nodes[0]!.spans?.map((s) => s.name)).toEqual(["inside"])
      // Made twice, the bridge wraps the previous tracer once.
      const bridge = EffectSpans.make(previous)
      expect(EffectSpans.make(bridge)).toBe(bridge)
    }))

  it.effect("a trace without spans is what it was without the bridge, byte for byte", () =>
    Effect.gen(function*() {
      const run = Effect.gen(function*() {
        yield* setTime(T0)
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName: "plain", traceId: "fixed-id", inputs: { a: 1 } })
        yield* tracer.withNode(
          { nodeId: "n", nodeType: "compute" },
          tracer.withToolCall("t", { x: 1 }, Effect.as(TestClock.adjust(Duration.millis(5)), { y: 2 }))
        )
        return yield* tracer.endTrace()
      })
      const without = yield* run.pipe(Effect.provide(WorkflowTracer.layerMemory()))
      const withBridge = yield* run.pipe(Effect.provide(traced))
      expect(TraceJson.encodeToString(withBridge)).toBe(TraceJson.encodeToString(without))
      expect(withBridge.schemaVersion).toBe(1)
      expect(TraceJson.encodeToString(withBridge)).not.toContain("spans")
      expect(Object.keys(withBridge.nodes[0]!)).not.toContain("spans")
      expect(Object.keys(withBridge.nodes[0]!.toolCalls[0]!)).not.toContain("spans")
    }))

  it.effect("spans are redacted like every payload before they reach the store", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      const ref = yield* tracer.startTrace({ workflowName: "secret" })
      yield* tracer.withNode(
        { nodeId: "n", nodeType: "compute" },
        Effect.gen(function*() {
          yield* Effect.logInfo("using tok-987654")
          return yield* Effect.fail("bad tok-987654")
        }).pipe(
          Effect.withSpan("call tok-987654", { attributes: { api_token: "abc", url: "https://x?key=tok-987654" } }),
          Effect.exit
        )
      )
      yield* tracer.endTrace()
      const stored = yield* (yield* TraceStore.TraceStore).get(ref.traceId)
      const json = JSON.stringify(WorkflowTrace.encode(stored))
      expect(json).not.toContain("tok-987654")
      expect(json).not.toContain("abc")
      expect(stored.nodes[0]!.spans![0]).toMatchObject({
        name: "call [REDACTED]",
        error: "bad [REDACTED]",
        attributes: { api_token: "[REDACTED]", url: "https://x?key=[REDACTED]" }
      })
    }).pipe(
      Effect.provide(Layer.mergeAll(
        WorkflowTracer.layerMemory(),
        EffectSpans.layer,
        Redaction.layer(Redaction.merge(Redaction.defaults({}), { values: ["tok-987654"] }))
      ))
    ))

  for (const handlers of [false, true]) {
    it.effect(`a store's own spans stay out of the trace it writes (${handlers ? "with" : "without"} handlers)`, () =>
      Effect.gen(function*() {
        let appends = 0
        const memory = yield* TraceStore.makeMemory
        const store: TraceStore.TraceStore["Type"] & TraceJournals.TraceJournals["Type"] = {
          ...memory,
          recover: Effect.succeed([]),
          begin: (h) =>
            Effect.withSpan(
              Effect.succeed({
                traceId: h.traceId,
                append: () => Effect.withSpan(Effect.sync(() => void appends++), "store.append"),
                finish: (trace: WorkflowTrace.WorkflowTrace) => Effect.withSpan(memory.save(trace), "store.finish"),
                abandon: Effect.void
              }),
              "store.begin"
            )
        }
        const tracer = yield* WorkflowTracer.make().pipe(Effect.provideService(TraceStore.TraceStore, store), Effect.provideService(TraceJournals.TraceJournals, store))
        const run = Effect.gen(function*() {
          const ref = yield* tracer.startTrace({ workflowName: "quiet" })
          yield* tracer.withNode({ nodeId: "n", nodeType: "compute" }, Effect.withSpan(Effect.void, "work"))
          for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
          yield* tracer.endTrace()
          return yield* memory.get(ref.traceId)
        })
        const trace = yield* handlers
          ? run.pipe(TraceHandler.provideMore(TraceHandler.make("watch", { onEvent: () => Effect.void })))
          : run
        expect(trace.spans).toBeUndefined()
        expect(trace.nodes[0]!.spans?.map((s) => s.name)).toEqual(["work"])
        expect(appends).toBeGreaterThan(0)
        expect(appends).toBeLessThan(20)
      }).pipe(Effect.provide(EffectSpans.layer)))
  }

  it.effect("the journal holds the spans of nodes still open and of the trace, so a recovered trace keeps them", () =>
    Effect.gen(function*() {
      const appended: Array<Journal.JournalEntry> = []
      let header: Journal.JournalHeader | undefined
      const memory = yield* TraceStore.makeMemory
      const store: TraceStore.TraceStore["Type"] & TraceJournals.TraceJournals["Type"] = {
        ...memory,
        recover: Effect.succeed([]),
        begin: (h) => {
          header = h
          return Effect.succeed({
            traceId: h.traceId,
            append: (entries) => Effect.sync(() => void appended.push(...entries)),
            finish: () => Effect.void,
            abandon: Effect.void
          })
        }
      }
      const tracer = yield* WorkflowTracer.make().pipe(Effect.provideService(TraceStore.TraceStore, store), Effect.provideService(TraceJournals.TraceJournals, store))
      // With a handler, as the CLI's event stream: spans, which no handler hears of, are still written.
      yield* Effect.gen(function*() {
        yield* tracer.startTrace({ workflowName: "crash" })
        yield* Effect.withSpan(Effect.void, "boot")
        yield* tracer.startNode({ nodeId: "slow", nodeType: "compute" })
        yield* tracer.withToolCall("t", {}, Effect.withSpan(Effect.succeed({}), "in-tool"))
        yield* Effect.withSpan(Effect.void, "in-node")
      }).pipe(TraceHandler.provideMore(TraceHandler.make("watch", { onEvent: () => Effect.void })))
      // The writer fiber writes in the background.
      for (let i = 0; i < 20 && appended.filter((e) => e._tag === "Span").length < 2; i++) yield* Effect.yieldNow()
      const lines = appended.map(Journal.encodeEntry)
      const parsed = lines.map(Journal.decodeLine)
      expect(parsed).toEqual(appended)
      const rebuilt = Journal.rebuild(header!, parsed.filter((e) => e !== undefined), "incomplete")
      expect(rebuilt.schemaVersion).toBe(2)
      expect(rebuilt.spans?.map((s) => s.name)).toEqual(["boot"])
      expect(rebuilt.nodes[0]!.spans?.map((s) => s.name)).toEqual(["in-node"])
      expect(rebuilt.nodes[0]!.toolCalls[0]!.spans?.map((s) => s.name)).toEqual(["in-tool"])
    }).pipe(Effect.provide(EffectSpans.layer)))
})
