import { describe, expect, it } from "@effect/vitest"
import * as Redaction from "@victor/core/Redaction"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

describe("Redaction", () => {
  it("finds secret-looking environment variables with values long enough to be secrets", () => {
    const values = Redaction.secretValues({
      OPENAI_API_KEY: "sk-abcdef123456",
      GITHUB_TOKEN: "ghp_123456789",
      DB_PASSWORD: "hunter2hunter2",
      MY_SECRET_THING: "classified-value",
      SHORT_TOKEN: "abc",
      PATH: "/usr/bin:/bin",
      HOME: "/home/someone",
      KEYBOARD_LAYOUT: "us-international"
    })
    expect(values.slice().sort()).toEqual(["classified-value", "ghp_123456789", "hunter2hunter2", "sk-abcdef123456"])
  })

  it("redacts values inside strings, keys at any depth, dotted paths and patterns", () => {
    const redactor = Redaction.make({
      values: ["s3cr3t-value"],
      keys: ["Authorization"],
      paths: ["inputs.config.*.token", "outputs.body"],
      patterns: ["\\d{4}-\\d{4}"]
    })
    expect(redactor.object({
      command: "curl -H 'x: s3cr3t-value' https://x",
      headers: { authorization: "Bearer abc", accept: "json" },
      config: { a: { token: "t1", keep: 1 }, b: { token: "t2" } },
      list: ["card 1234-5678 ok", 42]
    }, "inputs")).toEqual({
      command: "curl -H 'x: [REDACTED]' https://x",
      headers: { authorization: "[REDACTED]", accept: "json" },
      config: { a: { token: "[REDACTED]", keep: 1 }, b: { token: "[REDACTED]" } },
      list: ["card [REDACTED] ok", 42]
    })
    // A path names its root: `outputs.body` leaves an input called body alone.
    expect(redactor.object({ body: "x" }, "inputs")).toEqual({ body: "x" })
    expect(redactor.object({ body: "x" }, "outputs")).toEqual({ body: "[REDACTED]" })
    const untouched = { a: 1, b: "plain" }
    expect(redactor.object(untouched, "inputs")).toBe(untouched)
    expect(Redaction.make({}).active).toBe(false)
  })

  it.effect("the tracer stores, journals and returns redacted traces when a redactor is installed", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      const store = yield* TraceStore.TraceStore
      yield* tracer.startTrace({ workflowName: "leaky", inputs: { api_key: "k-123456", task: "t" } })
      yield* tracer.withNode(
        { nodeId: "echo", nodeType: "compute", inputs: { command: "echo $TOKEN" } },
        tracer.withToolCall("shell", { command: "echo $TOKEN" }, Effect.succeed({ stdout: "tok-987654\n" })),
        (outputs) => ({ outputs })
      )
      yield* tracer.startNode({ nodeId: "open", nodeType: "compute", inputs: { note: "tok-987654" } })
      // Let the journal writer catch up, then look at what the store was given while the run was going.
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      const runningTrace = yield* store.get((yield* tracer.getTrace).traceId)
      expect(runningTrace.status).toBe("running")
      expect(runningTrace.nodes.map((n) => n.nodeId)).toEqual(["echo", "open"])
      const running = JSON.stringify(runningTrace)
      expect(running).not.toContain("tok-987654")
      expect(running).not.toContain("k-123456")
      yield* tracer.endNode({ error: "failed with tok-987654" })
      const trace = yield* tracer.endTrace()
      const stored = JSON.stringify(yield* store.get(trace.traceId))
      for (const text of [stored, JSON.stringify(trace)]) {
        expect(text).not.toContain("tok-987654")
        expect(text).not.toContain("k-123456")
        expect(text).toContain("[REDACTED]")
      }
      expect(trace.inputs).toEqual({ api_key: "[REDACTED]", task: "t" })
    }).pipe(
      Effect.provide(Layer.merge(
        WorkflowTracer.layerMemory(),
        Redaction.layer({ values: ["tok-987654"], keys: ["api_key"] })
      ))
    ))
})
