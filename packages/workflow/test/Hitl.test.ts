import { describe, expect, it, layer } from "@effect/vitest"
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import * as HumanInput from "@victor/workflow/HumanInput"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { RunLayer } from "./fixtures.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const load = (source: string) => WorkflowLoader.parse(source, "gate.yaml")

const hitlEvents = (events: ReadonlyArray<ExecutionEvent>) =>
  events.filter((e) => e.eventType.startsWith("hitl_") || e.eventType === "node_skipped").map((e) => ({
    type: e.eventType,
    nodeId: e.nodeId,
    data: e.data
  }))

/** A human who never answers; `asked` completes once the question is put. */
const silent = Effect.map(Deferred.make<HumanInput.HitlRequest>(), (asked) => ({
  asked,
  layer: Layer.succeed(HumanInput.HumanInput, {
    ask: (request: HumanInput.HitlRequest) => Effect.zipRight(Deferred.succeed(asked, request), Effect.never)
  })
}))

/** Waits until the running workflow has put its question and started its timeout. */
const awaitQuestion = (asked: Deferred.Deferred<HumanInput.HitlRequest>) =>
  Effect.gen(function*() {
    const request = yield* Deferred.await(asked)
    while (Chunk.isEmpty(yield* TestClock.sleeps())) yield* Effect.yieldNow()
    return request
  })

const gate = (fallback: string, extra: ReadonlyArray<string> = []) =>
  load(lines(
    "name: release",
    "nodes:",
    "  - id: gate",
    "    type: hitl",
    "    hitl_type: approval",
    "    prompt: Publish {version}?",
    `    fallback: ${fallback}`,
    ...extra,
    "  - id: publish",
    "    type: transform",
    "    transform: published = true"
  ))

// TestClock is on: hitl timeouts fire only when the tests move the clock.
layer(RunLayer)("hitl nodes", (it) => {
  it.effect("asks each kind of question with its rendered prompt and context, and stores the answers", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "name: questions",
        "nodes:",
        "  - id: approve",
        "    type: hitl",
        "    hitl_type: approval",
        "    prompt: Publish release {version} of {{ pkg.name }}?",
        "    context_keys: [version, pkg.name, missing]",
        "  - id: check",
        "    type: hitl",
        "    hitl_type: confirmation",
        "    prompt: Really?",
        "  - id: pick",
        "    type: hitl",
        "    hitl_type: choice",
        "    prompt: Which channel?",
        "    choices: [stable, beta]",
        "    output: channel",
        "  - id: name",
        "    type: hitl",
        "    hitl_type: input",
        "    prompt: Release name for $ctx.version",
        "  - id: notes",
        "    type: hitl",
        "    hitl_type: review",
        "    prompt: Review the notes",
        "  - id: done",
        "    type: transform",
        "    transform: summary = channel.value + ' ' + name.value"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, {
        context: { version: "1.2.0", pkg: { name: "victor" } }
      }).pipe(
        Effect.provide(
          HumanInput.layerAnswers({ approve: true, check: "yes", pick: "beta", name: "Falcon", notes: "LGTM" })
        )
      )
      expect(result).toMatchObject({ status: "succeeded", error: null })
      expect(result.state).toMatchObject({
        approve: { approved: true, value: true, timed_out: false },
        check: { approved: true, value: true, timed_out: false },
        channel: { value: "beta", timed_out: false },
        name: { value: "Falcon", timed_out: false },
        notes: { value: "LGTM", timed_out: false },
        summary: "beta Falcon"
      })
      expect(result.state.channel).not.toHaveProperty("approved")
      const nodes = result.trace.nodes
      expect(nodes.map((node) => [node.nodeId, node.nodeType, node.success])).toEqual([
        ["approve", "hitl", true],
        ["check", "hitl", true],
        ["pick", "hitl", true],
        ["name", "hitl", true],
        ["notes", "hitl", true],
        ["done", "transform", true]
      ])
      expect(nodes[0]!.inputs).toEqual({
        hitl_type: "approval",
        prompt: "Publish release 1.2.0 of victor?",
        context: { version: "1.2.0", "pkg.name": "victor", missing: null },
        choices: []
      })
      expect(nodes[0]!.outputs).toEqual({ approved: true, value: true, timed_out: false })
      expect(nodes[2]!.inputs).toMatchObject({ hitl_type: "choice", choices: ["stable", "beta"] })
      expect(nodes[3]!.inputs).toMatchObject({ prompt: "Release name for 1.2.0" })
      expect(hitlEvents(result.trace.events).slice(0, 6)).toEqual([
        {
          type: "hitl_requested",
          nodeId: "approve",
          data: { hitl_type: "approval", prompt: "Publish release 1.2.0 of victor?", choices: [] }
        },
        { type: "hitl_resolved", nodeId: "approve", data: { answer: true, timed_out: false } },
        {
          type: "hitl_requested",
          nodeId: "check",
          data: { hitl_type: "confirmation", prompt: "Really?", choices: [] }
        },
        { type: "hitl_resolved", nodeId: "check", data: { answer: true, timed_out: false } },
        {
          type: "hitl_requested",
          nodeId: "pick",
          data: { hitl_type: "choice", prompt: "Which channel?", choices: ["stable", "beta"] }
        },
        { type: "hitl_resolved", nodeId: "pick", data: { answer: "beta", timed_out: false } }
      ])
      // The events sit inside the node's own started/completed pair.
      const types = result.trace.events.filter((e) => e.nodeId === "approve").map((e) => e.eventType)
      expect(types).toEqual(["node_started", "hitl_requested", "hitl_resolved", "node_completed"])
    }))

  it.effect("an approval answered no fails the run, naming the node; nothing after it runs", () =>
    Effect.gen(function*() {
      const workflow = yield* gate("continue")
      for (const answer of [false, "no"]) {
        const result = yield* WorkflowExecutor.execute(workflow, { context: { version: "2.0" } }).pipe(
          Effect.provide(HumanInput.layerAnswers({ gate: answer }))
        )
        expect(result.status).toBe("failed")
        expect(result.error).toBe("node 'gate' failed: 'gate' was not approved")
        expect(result.trace.nodes.map((node) => [node.nodeId, node.success, node.error])).toEqual([
          ["gate", false, "'gate' was not approved"]
        ])
        expect(result.state).not.toHaveProperty("published")
        expect(hitlEvents(result.trace.events).at(-1)).toEqual({
          type: "hitl_resolved",
          nodeId: "gate",
          data: { answer: false, timed_out: false }
        })
      }
    }))

  it.effect("a rejection is not asked again by max_retries", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "max_retries: 2",
        "nodes:",
        "  - { id: gate, type: hitl, hitl_type: confirmation, prompt: Go? }"
      ))
      let asked = 0
      const human = Layer.succeed(HumanInput.HumanInput, {
        ask: () => Effect.sync(() => (asked++, false))
      })
      const result = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(human))
      expect(result.error).toBe("node 'gate' failed: 'gate' was not approved")
      expect(asked).toBe(1)
    }))

  it.effect("--yes takes the defaults; input without a default_value still needs an answer", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: approve, type: hitl, hitl_type: approval, prompt: Ok? }",
        "  - { id: first, type: hitl, hitl_type: choice, prompt: Pick, choices: [a, b] }",
        "  - { id: chosen, type: hitl, hitl_type: choice, prompt: Pick, choices: [a, b], default_value: b }",
        "  - { id: named, type: hitl, hitl_type: input, prompt: Name?, default_value: 42 }",
        "  - { id: free, type: hitl, hitl_type: review, prompt: Notes? }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(HumanInput.layerAnswers({}, { yes: true }))
      )
      expect(result.state).toMatchObject({
        approve: { approved: true, value: true },
        first: { value: "a" },
        chosen: { value: "b" },
        named: { value: "42" }
      })
      expect(result.status).toBe("failed")
      expect(result.error).toBe(
        "node 'free' failed: no answer for 'free' (review) and it has no default_value for --yes: " +
          "pass --context '{\"hitl\": {\"free\": \"your text\"}}'"
      )
      // An explicit answer wins over --yes.
      const answered = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(HumanInput.layerAnswers({ first: "b", free: "fine" }, { yes: true }))
      )
      expect(answered.status).toBe("succeeded")
      expect(answered.state).toMatchObject({ first: { value: "b" }, free: { value: "fine" } })
    }))

  it.effect("no answer and no --yes: fallback abort fails with the hint, continue takes default_value", () =>
    Effect.gen(function*() {
      const aborting = yield* gate("abort")
      const aborted = yield* WorkflowExecutor.execute(aborting).pipe(Effect.provide(HumanInput.layerAnswers({})))
      expect(aborted.status).toBe("failed")
      expect(aborted.error).toBe(
        "node 'gate' failed: no answer for 'gate' (approval): pass --context '{\"hitl\": {\"gate\": true}}' or --yes"
      )
      expect(aborted.state).not.toHaveProperty("published")

      const continuing = yield* load(lines(
        "nodes:",
        "  - { id: pick, type: hitl, hitl_type: choice, prompt: Pick, choices: [a, b], default_value: b,",
        "      fallback: continue }"
      ))
      const continued = yield* WorkflowExecutor.execute(continuing).pipe(Effect.provide(HumanInput.layerAnswers({})))
      expect(continued.status).toBe("succeeded")
      expect(continued.state.pick).toEqual({ value: "b", timed_out: true })
      expect(hitlEvents(continued.trace.events).at(-1)).toEqual({
        type: "hitl_resolved",
        nodeId: "pick",
        data: { answer: null, timed_out: true }
      })
    }))

  it.effect("an answer that does not fit fails the node with the reason", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: pick, type: hitl, hitl_type: choice, prompt: Pick, choices: [a, b], fallback: continue }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(HumanInput.layerAnswers({ pick: "c" }))
      )
      expect(result.error).toBe(
        "node 'pick' failed: invalid answer for 'pick' (choice): \"c\"; expected one of \"a\", \"b\""
      )
    }))

  it.effect("without a HumanInput service a hitl node fails saying one is needed", () =>
    Effect.gen(function*() {
      const result = yield* WorkflowExecutor.execute(yield* gate("continue"))
      expect(result.status).toBe("failed")
      expect(result.error).toMatch(/^node 'gate' failed: hitl node 'gate' needs a human-input provider/)
      expect(hitlEvents(result.trace.events)).toEqual([])
    }))

  it.effect("timeout with fallback abort: fails after the node's timeout, not before", () =>
    Effect.gen(function*() {
      const workflow = yield* gate("abort", ["    timeout: 60"])
      const { asked, layer: human } = yield* silent
      const fiber = yield* WorkflowExecutor.execute(workflow, { context: { version: "3.1" } }).pipe(
        Effect.provide(human),
        Effect.fork
      )
      const request = yield* awaitQuestion(asked)
      expect(request).toEqual({
        nodeId: "gate",
        hitlType: "approval",
        prompt: "Publish 3.1?",
        context: {},
        choices: [],
        defaultValue: undefined,
        timeoutSeconds: 60
      })
      yield* TestClock.adjust("59 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      expect(result.status).toBe("failed")
      expect(result.error).toBe("node 'gate' failed: no answer for 'gate' within 60s (fallback: abort)")
      expect(hitlEvents(result.trace.events).at(-1)).toEqual({
        type: "hitl_resolved",
        nodeId: "gate",
        data: { answer: null, timed_out: true }
      })
    }))

  it.effect("timeout with fallback continue: the default timeout is 300s and the run goes on approved", () =>
    Effect.gen(function*() {
      const workflow = yield* gate("continue")
      const { asked, layer: human } = yield* silent
      const fiber = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(human), Effect.fork)
      expect((yield* awaitQuestion(asked)).timeoutSeconds).toBe(300)
      yield* TestClock.adjust("299 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      expect(result.status).toBe("succeeded")
      expect(result.state).toMatchObject({ gate: { approved: true, value: true, timed_out: true }, published: true })
      expect(result.trace.nodes[0]!.outputs).toEqual({ approved: true, value: true, timed_out: true })
    }))

  it.effect("timeout with fallback skip: the node is recorded as skipped, stores nothing, and the run goes on", () =>
    Effect.gen(function*() {
      const workflow = yield* gate("skip", ["    timeout: 5"])
      const { asked, layer: human } = yield* silent
      const fiber = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(human), Effect.fork)
      yield* awaitQuestion(asked)
      yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(fiber)
      expect(result.status).toBe("succeeded")
      expect(result.state).toEqual({ published: true })
      expect(result.trace.nodes.map((node) => [node.nodeId, node.success, node.outputs])).toEqual([
        ["gate", true, { skipped: true }],
        ["publish", true, { published: true }]
      ])
      expect(hitlEvents(result.trace.events)).toEqual([
        {
          type: "hitl_requested",
          nodeId: "gate",
          data: { hitl_type: "approval", prompt: "Publish {version}?", choices: [] }
        },
        { type: "hitl_resolved", nodeId: "gate", data: { answer: null, timed_out: true } },
        {
          type: "node_skipped",
          nodeId: "gate",
          data: { reason: "no answer for 'gate' within 5s (fallback: skip)", fallback: "skip" }
        }
      ])
    }))

  it.effect("default_node_timeout does not cut a human short; the workflow timeout does", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "name: bounded",
        "execution: { timeout: 100, default_node_timeout: 10 }",
        "nodes:",
        "  - { id: gate, type: hitl, hitl_type: approval, prompt: Go?, fallback: continue }"
      ))
      const { asked, layer: human } = yield* silent
      const fiber = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(human), Effect.fork)
      yield* awaitQuestion(asked)
      yield* TestClock.adjust("10 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("90 seconds")
      const result = yield* Fiber.join(fiber)
      expect(result.error).toBe("node 'gate' failed: workflow 'bounded' timed out after 100s")
    }))
})

describe("HumanInput.validateAnswer", () => {
  const request = (hitlType: HumanInput.HitlType, choices: ReadonlyArray<string> = []): HumanInput.HitlRequest => ({
    nodeId: "q",
    hitlType,
    prompt: "?",
    context: {},
    choices,
    defaultValue: undefined,
    timeoutSeconds: 300
  })
  const valid = (req: HumanInput.HitlRequest, raw: unknown) => Either.getOrThrow(HumanInput.validateAnswer(req, raw))
  const invalid = (req: HumanInput.HitlRequest, raw: unknown) =>
    Either.getOrThrowWith(Either.flip(HumanInput.validateAnswer(req, raw)), () => new Error("expected invalid"))

  it("approval and confirmation take booleans and yes/no/true/false words", () => {
    for (const type of ["approval", "confirmation"] as const) {
      expect(valid(request(type), true)).toBe(true)
      expect(valid(request(type), false)).toBe(false)
      expect(valid(request(type), "yes")).toBe(true)
      expect(valid(request(type), " YES ")).toBe(true)
      expect(valid(request(type), "no")).toBe(false)
      expect(valid(request(type), "true")).toBe(true)
      expect(valid(request(type), "False")).toBe(false)
      const error = invalid(request(type), "maybe")
      expect(error).toMatchObject({ _tag: "HumanInputError", reason: "InvalidAnswer", nodeId: "q" })
      expect(error.message).toBe(`invalid answer for 'q' (${type}): "maybe"; expected true/false or yes/no`)
      expect(invalid(request(type), 1).reason).toBe("InvalidAnswer")
    }
  })

  it("choice takes one of the choices only", () => {
    expect(valid(request("choice", ["stable", "beta"]), "beta")).toBe("beta")
    expect(invalid(request("choice", ["stable", "beta"]), "Beta").message).toBe(
      "invalid answer for 'q' (choice): \"Beta\"; expected one of \"stable\", \"beta\""
    )
    expect(invalid(request("choice", ["1"]), 1).reason).toBe("InvalidAnswer")
  })

  it("input and review take a string", () => {
    expect(valid(request("input"), "Falcon")).toBe("Falcon")
    expect(valid(request("review"), "")).toBe("")
    expect(invalid(request("review"), { ok: true }).message).toBe(
      "invalid answer for 'q' (review): {\"ok\":true}; expected a string"
    )
    expect(invalid(request("input"), true).reason).toBe("InvalidAnswer")
  })

  it.effect("makeAnswers validates the answers it is given", () =>
    Effect.gen(function*() {
      const human = HumanInput.makeAnswers({ q: "perhaps" }, { yes: true })
      const error = yield* Effect.flip(human.ask(request("approval")))
      expect(error.reason).toBe("InvalidAnswer")
      expect(yield* HumanInput.makeAnswers({ q: "n" }).ask(request("confirmation"))).toBe(false)
    }))
})
