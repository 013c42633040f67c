import { describe, expect, it } from "@effect/vitest"
import * as Redaction from "@victor/core/Redaction"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as TraceJournals from "@victor/core/TraceJournals"
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
    const found = ["classified-value", "ghp_123456789", "hunter2hunter2", "sk-abcdef123456"]
    // Each as it is, upper- and lower-cased: a tool may print a secret either way.
    expect(new Set(values)).toEqual(new Set(found.flatMap((v) => [v, v.toUpperCase(), v.toLowerCase()])))
  })

  it("finds the password inside a URL-valued variable, whatever its name", () => {
    const values = Redaction.secretValues({ DATABASE_URL: "postgres://app:pa%24%24word-42@db.internal:5432/app" })
    expect(values).toContain("pa$$word-42")
    expect(values).toContain("pa%24%24word-42")
    expect(values).not.toContain("app")
  })

  it("the defaults redact fields named like secrets at any depth, and passwords inside URLs", () => {
    const redactor = Redaction.make(Redaction.defaults({ OPENAI_API_KEY: "sk-live-0123456789" }))
    expect(redactor.object({
      password: "p1",
      nested: [{ api_key: "k1", apiKey: "k2", "X-Api-Key": "k3", client_secret: "c", GITHUB_TOKEN: "t", Cookie: "c2" }],
      db_password: "p2",
      auth: { user: "u" },
      max_tokens: 100,
      input_tokens: 7,
      tokenizer: "bpe",
      keyboard: "us",
      url: "see postgres://admin:hunter2@db:5432/x and https://example.com/path?q=1",
      echoed: "key is SK-LIVE-0123456789 and sk-live-0123456789!"
    }, "inputs")).toEqual({
      password: "[REDACTED]",
      nested: [{
        api_key: "[REDACTED]",
        apiKey: "[REDACTED]",
        "X-Api-Key": "[REDACTED]",
        client_secret: "[REDACTED]",
        GITHUB_TOKEN: "[REDACTED]",
        Cookie: "[REDACTED]"
      }],
      db_password: "[REDACTED]",
      auth: "[REDACTED]",
      max_tokens: 100,
      input_tokens: 7,
      tokenizer: "bpe",
      keyboard: "us",
      url: "see postgres://admin:[REDACTED]@db:5432/x and https://example.com/path?q=1",
      echoed: "key is [REDACTED] and [REDACTED]!"
    })
  })

  it("a redacting handler hands its inner handler only redacted events and records", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const inner = TraceHandler.make("probe", {
        onEvent: (event) => Effect.sync(() => void seen.push(event)),
        onNodeComplete: (node) => Effect.sync(() => void seen.push(node)),
        onToolCall: (call) => Effect.sync(() => void seen.push(call))
      })
      const redactor = Redaction.make({ values: ["s3cr3t-value"] })
      const wrapped = Redaction.handler(redactor, inner)
      const ref = { traceId: "t", workflowName: "w" }
      yield* wrapped.onEvent!({ eventType: "tool_call_failed", timestamp: 1, error: "boom s3cr3t-value" } as never, ref)
      yield* wrapped.onToolCall!({
        toolName: "shell",
        inputs: { command: "echo s3cr3t-value" },
        outputs: {},
        durationSeconds: 0,
        success: false,
        error: "s3cr3t-value",
        timestamp: 1
      } as never, undefined, ref)
      expect(JSON.stringify(seen)).not.toContain("s3cr3t-value")
      expect(JSON.stringify(seen)).toContain("[REDACTED]")
      expect(Redaction.handler(Redaction.none, inner)).toBe(inner)
    }).pipe(Effect.runPromise))

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
        // A store with journals: the running trace it lists is what was journaled.
        Layer.provideMerge(WorkflowTracer.layer(), TraceJournals.layerMemory),
        Redaction.layer({ values: ["tok-987654"], keys: ["api_key"] })
      ))
    ))

  it.effect("every handler of a trace sees its events and records redacted, like the store", () =>
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      const seen: Array<unknown> = []
      const probe = TraceHandler.make("probe", {
        onEvent: (event) => Effect.sync(() => void seen.push(event)),
        onNodeComplete: (node) => Effect.sync(() => void seen.push(node)),
        onToolCall: (call) => Effect.sync(() => void seen.push(call))
      })
      yield* Effect.gen(function*() {
        yield* tracer.startTrace({ workflowName: "leaky", inputs: { password: "pw-123456" } })
        yield* tracer.withNode(
          { nodeId: "echo", nodeType: "compute", inputs: {} },
          Effect.either(tracer.withToolCall("shell", { command: "x" }, Effect.fail(new Error("died: tok-987654")))),
          () => ({ outputs: {} })
        )
        yield* tracer.endTrace({ error: "run failed: tok-987654" })
      }).pipe(TraceHandler.provideMore(probe))
      const text = JSON.stringify(seen)
      expect(seen.length).toBeGreaterThan(4)
      expect(text).not.toContain("tok-987654")
      expect(text).not.toContain("pw-123456")
      expect(text).toContain("[REDACTED]")
    }).pipe(
      Effect.provide(Layer.merge(WorkflowTracer.layerMemory(), Redaction.layer({ values: ["tok-987654"] })))
    ))
})
